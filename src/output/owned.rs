//! What a command may replace, and how it writes: the one mechanism behind
//! every output of `run`, `sweep`, `merge` and `report`.
//!
//! **A command never deletes, moves or overwrites a file it did not write.**
//! Each command knows its own files:
//! - `run`: the [`RUN_FILES`] of a folder marked by a run's `manifest.ron`;
//! - `sweep` and `merge`: the [`SWEEP_FILES`] of a folder marked by `sweep.ron`;
//! - `report`: each page and figure carries a generator mark inside it
//!   ([`Mark`]).
//!
//! Before it writes anything, a command checks every name it will write
//! ([`check_folder`], [`check_file`]): a name in the way that is not its own
//! is an input error ([`Error::InTheWay`], exit code 2) naming the path.
//! Then it writes every file under a temporary name and renames them all
//! at the end ([`Staged`]), so a command that fails leaves no new output.

use crate::error::{Error, Result};
use std::io::Read;
use std::path::{Path, PathBuf};

/// The files of a run's output folder; `manifest.ron` last, the mark that
/// the others are complete.
pub const RUN_FILES: [&str; 5] = [
    "timeseries.csv",
    "transcript.csv",
    "terms.csv",
    "summary.csv",
    "manifest.ron",
];

/// The files of a run's folder written before `terms.csv` (a manifest
/// without a `files` list): the names a run may replace in such a folder.
const RUN_FILES_BEFORE_TERMS: [&str; 4] = [
    "timeseries.csv",
    "transcript.csv",
    "summary.csv",
    "manifest.ron",
];

/// The files a run's `manifest.ron` in `dir` says the run wrote: its
/// `files` list (near the top of the file), or, without one, the four
/// files runs wrote before the list existed.
fn listed_run_files(dir: &Path) -> Vec<String> {
    let text = head(&dir.join("manifest.ron")).unwrap_or_default();
    let text = String::from_utf8_lossy(&text);
    let list = text
        .split_once("files: [")
        .and_then(|(_, rest)| rest.split_once(']'))
        .map(|(list, _)| list);
    match list {
        Some(list) => list
            .split(',')
            .map(|s| s.trim().trim_matches('"').to_string())
            .filter(|s| !s.is_empty())
            .collect(),
        None => RUN_FILES_BEFORE_TERMS.map(String::from).to_vec(),
    }
}

/// The names `sweep`, `--emit-slurm` and `merge` write into a sweep's
/// folder, besides its mark `sweep.ron` and `parts/`.
pub const SWEEP_FILES: [&str; 11] = [
    "runs.csv",
    "runs.parquet",
    "points.csv",
    "points.parquet",
    "sobol.csv",
    "sobol.parquet",
    "series.parquet",
    "sweep.sbatch",
    "merge.sbatch",
    "submit.sh",
    "slurm",
];

/// A generator mark inside a single file written by `report`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mark {
    /// `<meta name="generator" content="chokepoint report">` in the page's head.
    Html,
    /// An XML comment before the `<svg>` element.
    Svg,
    /// A PNG `tEXt` chunk `Software` = `chokepoint report` after `IHDR`.
    Png,
}

/// The text every mark carries.
pub const GENERATOR: &str = "chokepoint report";

/// The HTML meta element of [`Mark::Html`].
pub const HTML_MARK: &str = "<meta name=\"generator\" content=\"chokepoint report\">";

/// The comment of [`Mark::Svg`], the first line of a figure's SVG file.
pub const SVG_MARK: &str = "<!-- generator: chokepoint report -->\n";

/// Pages written before the mark existed (0.1.0, up to stop 8) are known by
/// the first rule of their inline style sheet, which no other page has.
const LEGACY_HTML_MARK: &str = "<style>body{font-family:sans-serif;margin:24px auto;max-width:1100px;color:#222}h1{font-size:24px}";

/// How many leading bytes of a file are searched for its mark.
const MARK_WINDOW: usize = 4096;

impl Mark {
    /// The mark that a file of this name carries.
    pub fn of(path: &Path) -> Mark {
        match path.extension().and_then(|e| e.to_str()) {
            Some("svg") => Mark::Svg,
            Some("png") => Mark::Png,
            _ => Mark::Html,
        }
    }

    /// Whether `head` (a file's first bytes) carries this mark.
    fn found_in(self, head: &[u8]) -> bool {
        let needle: Vec<u8> = match self {
            Mark::Html => HTML_MARK.into(),
            Mark::Svg => SVG_MARK.trim_end().into(),
            Mark::Png => [b"tEXtSoftware\0".as_slice(), GENERATOR.as_bytes()].concat(),
        };
        let found = |needle: &[u8]| head.windows(needle.len()).any(|w| w == needle);
        found(&needle) || (self == Mark::Html && found(LEGACY_HTML_MARK.as_bytes()))
    }
}

/// A PNG with the [`Mark::Png`] chunk inserted after its `IHDR` chunk.
pub fn mark_png(png: &[u8]) -> Vec<u8> {
    // 8-byte signature, then IHDR: length (4), type (4), 13 data bytes, CRC (4).
    const AFTER_IHDR: usize = 8 + 4 + 4 + 13 + 4;
    let data = [b"Software\0".as_slice(), GENERATOR.as_bytes()].concat();
    let mut chunk = Vec::with_capacity(data.len() + 12);
    chunk.extend_from_slice(&(data.len() as u32).to_be_bytes());
    let typed = [b"tEXt".as_slice(), &data].concat();
    chunk.extend_from_slice(&typed);
    chunk.extend_from_slice(&crc32fast::hash(&typed).to_be_bytes());
    let at = AFTER_IHDR.min(png.len());
    [&png[..at], &chunk, &png[at..]].concat()
}

/// A file's first [`MARK_WINDOW`] bytes, where its mark is.
fn head(path: &Path) -> std::io::Result<Vec<u8>> {
    let mut head = Vec::new();
    std::fs::File::open(path)?
        .take(MARK_WINDOW as u64)
        .read_to_end(&mut head)?;
    Ok(head)
}

fn in_the_way(path: &Path, message: impl Into<String>) -> Error {
    Error::InTheWay {
        path: path.to_path_buf(),
        message: message.into(),
    }
}

/// What is at `path`, without following a final symbolic link.
fn kind(path: &Path) -> Result<Option<std::fs::FileType>> {
    match std::fs::symlink_metadata(path) {
        Ok(m) => Ok(Some(m.file_type())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) if e.kind() == std::io::ErrorKind::NotADirectory => Err(in_the_way(
            path,
            "a part of this path is a file, not a folder; choose another path",
        )),
        Err(e) if e.raw_os_error() == Some(40) => Err(in_the_way(
            path,
            "a loop of symbolic links (too many levels); choose another path",
        )),
        Err(e) => Err(Error::io(path, e)),
    }
}

/// Whether `path` is a folder (following links); `Err` if something else is there.
fn folder_or_nothing(path: &Path, hint: &str) -> Result<bool> {
    match kind(path)? {
        None => Ok(false),
        Some(_) if path.is_dir() => Ok(true),
        Some(_) => Err(in_the_way(
            path,
            format!("exists and is not a folder; {hint}"),
        )),
    }
}

/// A command's claim on an output folder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Folder {
    /// The folder does not exist yet.
    New,
    /// The folder exists and holds none of the command's names, or only its own.
    Existing,
}

/// The folder kinds, by their marks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Owner {
    /// `chokepoint run`: marked by a run's `manifest.ron`.
    Run,
    /// `chokepoint sweep` and `merge`: marked by `sweep.ron`.
    Sweep,
}

impl Owner {
    fn mark(self) -> &'static str {
        match self {
            Owner::Run => "manifest.ron",
            Owner::Sweep => "sweep.ron",
        }
    }

    fn command(self) -> &'static str {
        match self {
            Owner::Run => "chokepoint run",
            Owner::Sweep => "chokepoint sweep",
        }
    }

    fn other(self) -> Owner {
        match self {
            Owner::Run => Owner::Sweep,
            Owner::Sweep => Owner::Run,
        }
    }

    /// The names this command writes into its folder, its mark among them.
    fn names(self) -> Vec<&'static str> {
        match self {
            Owner::Run => RUN_FILES.to_vec(),
            Owner::Sweep => SWEEP_FILES
                .iter()
                .copied()
                .chain(["parts", "sweep.ron"])
                .collect(),
        }
    }

    /// Whether `dir` carries this command's mark.
    pub fn marks(self, dir: &Path) -> bool {
        let path = dir.join(self.mark());
        if !path.is_file() {
            return false;
        }
        let Ok(head) = head(&path) else {
            return false;
        };
        let head = String::from_utf8_lossy(&head);
        let text = head.trim_start();
        match self {
            Owner::Run => text.starts_with("Manifest(") && text.contains("crate_version:"),
            Owner::Sweep => text.starts_with("SweepManifest(") && text.contains("hash:"),
        }
    }
}

/// Checks that `owner`'s command may write its files into `dir`: `dir` is
/// absent, or a folder in which every name the command writes is absent or
/// its own (the folder carries its mark). Nothing is written.
pub fn check_folder(dir: &Path, owner: Owner, option: &str) -> Result<Folder> {
    let hint = format!("choose another {option} or move it");
    if !folder_or_nothing(dir, &hint)? {
        return Ok(Folder::New);
    }
    let other = owner.other();
    if other.marks(dir) {
        return Err(in_the_way(
            dir,
            format!(
                "holds the output of `{}` ({}); choose another {option}",
                other.command(),
                other.mark()
            ),
        ));
    }
    let mut ours = owner.marks(dir);
    let listed = (owner == Owner::Run && ours).then(|| listed_run_files(dir));
    for name in owner.names() {
        let path = dir.join(name);
        let Some(t) = kind(&path)? else { continue };
        // Another shard of the same sweep may have claimed the folder since:
        // it writes its mark before anything else.
        ours = ours || owner.marks(dir);
        if let Some(listed) = listed.as_ref().filter(|l| !l.iter().any(|f| f == name)) {
            return Err(in_the_way(
                &path,
                format!(
                    "exists and was not written by `run` (the folder's manifest.ron lists {}); {hint}",
                    listed.join(", ")
                ),
            ));
        }
        if !ours {
            return Err(in_the_way(
                &path,
                format!(
                    "exists and was not written by `{}` (the folder has no {} of its own); {hint}",
                    owner.command(),
                    owner.mark()
                ),
            ));
        }
        let folder_expected = name == "slurm" || name == "parts";
        if t.is_symlink() || t.is_dir() != folder_expected {
            return Err(in_the_way(
                &path,
                format!(
                    "is not the {} that `{}` writes; {hint}",
                    if folder_expected { "folder" } else { "file" },
                    owner.command()
                ),
            ));
        }
    }
    Ok(Folder::Existing)
}

/// Checks that `report` may write the file `path`: absent, or a regular
/// file carrying its generator mark.
pub fn check_file(path: &Path, option: &str) -> Result<()> {
    let hint = format!("choose another {option} or move it");
    let Some(t) = kind(path)? else {
        return Ok(());
    };
    if !t.is_file() {
        return Err(in_the_way(
            path,
            format!("exists and is not a regular file; {hint}"),
        ));
    }
    let head = head(path).map_err(|e| Error::io(path, e))?;
    if !Mark::of(path).found_in(&head) {
        return Err(in_the_way(
            path,
            format!(
                "exists and was not written by `{GENERATOR}` (it has no generator mark); {hint}"
            ),
        ));
    }
    Ok(())
}

/// Checks that a file a command appends to or cuts in place (a sweep's
/// part) is a plain file of its own: not a symbolic link, not a hard link
/// shared with another name, whose content the change would reach.
pub fn check_in_place(path: &Path) -> Result<()> {
    use std::os::unix::fs::MetadataExt;
    let Some(t) = kind(path)? else {
        return Ok(());
    };
    let meta = std::fs::symlink_metadata(path).map_err(|e| Error::io(path, e))?;
    if !t.is_file() || meta.nlink() > 1 {
        return Err(in_the_way(
            path,
            "is not a plain file of this sweep's (a symbolic link, a folder, or a hard link shared with another file): it is changed in place, so it is left as it is; move it, or copy it in its place",
        ));
    }
    Ok(())
}

/// Checks that `dir` is a folder or absent, for files `report` writes into it.
pub fn check_figure_folder(dir: &Path) -> Result<()> {
    folder_or_nothing(dir, "choose another --figures folder or move it").map(|_| ())
}

/// Host, process, time and a counter: distinct for writers on different
/// nodes that share a file system and happen to share a pid, and for the
/// files of one command.
pub fn unique_suffix() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap_or_default();
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!("{}-{}-{nanos}-{n}", host.trim(), std::process::id())
}

/// The hidden temporary name beside `path`: `.NAME.partial-SUFFIX`.
pub fn partial_name(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    path.with_file_name(format!(".{name}.partial-{}", unique_suffix()))
}

/// Files (or folders) written under temporary names and renamed into place
/// together by [`Staged::commit`], in the order they were staged. Dropped
/// without a commit, it removes what it wrote.
#[derive(Debug, Default)]
pub struct Staged {
    /// (temporary, final) paths.
    entries: Vec<(PathBuf, PathBuf)>,
    /// Folders this stage created, outermost first: removed (when empty)
    /// if it is dropped without a commit.
    created: Vec<PathBuf>,
}

impl Staged {
    pub fn new() -> Staged {
        Staged::default()
    }

    /// Creates `dir` and its missing ancestors; they go again if the stage
    /// is dropped without a commit.
    pub fn create_dir_all(&mut self, dir: &Path) -> Result<()> {
        let missing: Vec<&Path> = dir
            .ancestors()
            .filter(|a| !a.as_os_str().is_empty())
            .take_while(|a| a.symlink_metadata().is_err())
            .collect();
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        self.created
            .extend(missing.into_iter().rev().map(Path::to_path_buf));
        Ok(())
    }

    /// A new temporary folder that becomes `dir` on commit (`dir` must not exist then).
    pub fn folder(&mut self, dir: &Path) -> Result<PathBuf> {
        let tmp = partial_name(dir);
        std::fs::create_dir(&tmp).map_err(|e| Error::io(&tmp, e))?;
        self.entries.push((tmp.clone(), dir.to_path_buf()));
        Ok(tmp)
    }

    /// Writes a file under a temporary name beside `path` (synced); it
    /// becomes `path` on commit. Returns the temporary path.
    pub fn write_with(
        &mut self,
        path: &Path,
        write: impl FnOnce(&mut std::fs::File) -> Result<()>,
    ) -> Result<PathBuf> {
        let tmp = partial_name(path);
        let mut file = std::fs::File::create(&tmp).map_err(|e| Error::io(&tmp, e))?;
        self.entries.push((tmp.clone(), path.to_path_buf()));
        write(&mut file)?;
        file.sync_all().map_err(|e| Error::io(&tmp, e))?;
        Ok(tmp)
    }

    /// Writes `bytes` as [`Staged::write_with`] does.
    pub fn write(&mut self, path: &Path, bytes: &[u8]) -> Result<PathBuf> {
        use std::io::Write;
        self.write_with(path, |f| f.write_all(bytes).map_err(|e| Error::io(path, e)))
    }

    /// Renames every staged entry into place, in order. A folder is renamed
    /// only where nothing is in the way (never over an existing folder).
    pub fn commit(mut self) -> Result<()> {
        // What is not yet renamed when this fails is removed by `drop`.
        while !self.entries.is_empty() {
            let (tmp, path) = &self.entries[0];
            if tmp.is_dir() && kind(path)?.is_some() {
                return Err(in_the_way(
                    path,
                    "appeared while the output was being written; it was left as it is",
                ));
            }
            std::fs::rename(tmp, path).map_err(|e| Error::io(path, e))?;
            self.entries.remove(0);
        }
        self.created.clear();
        Ok(())
    }
}

impl Drop for Staged {
    fn drop(&mut self) {
        for (tmp, _) in &self.entries {
            let _ = if tmp.is_dir() {
                std::fs::remove_dir_all(tmp)
            } else {
                std::fs::remove_file(tmp)
            };
        }
        for dir in self.created.iter().rev() {
            let _ = std::fs::remove_dir(dir); // only if empty
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_dropped_stage_leaves_nothing_and_a_commit_renames_every_file() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = (dir.path().join("a.csv"), dir.path().join("b.csv"));
        {
            let mut s = Staged::new();
            s.write(&a, b"1").unwrap();
            s.write(&b, b"2").unwrap();
        }
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
        let mut s = Staged::new();
        s.write(&a, b"1").unwrap();
        s.write(&b, b"2").unwrap();
        s.commit().unwrap();
        assert_eq!(std::fs::read(&a).unwrap(), b"1");
        assert_eq!(std::fs::read(&b).unwrap(), b"2");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 2);
    }

    #[test]
    fn marks_are_found_only_in_files_that_carry_them() {
        let dir = tempfile::tempdir().unwrap();
        let html = dir.path().join("report.html");
        std::fs::write(&html, "<html><head>my notes</head></html>").unwrap();
        assert!(check_file(&html, "--out").is_err());
        std::fs::write(&html, format!("<html><head>{HTML_MARK}</head></html>")).unwrap();
        assert!(check_file(&html, "--out").is_ok());
        let legacy =
            format!("<!DOCTYPE html>\n<title>Run report: x</title>\n{LEGACY_HTML_MARK}h2{{}}");
        std::fs::write(&html, legacy).unwrap();
        assert!(check_file(&html, "--out").is_ok(), "a page of 0.1.0");
        let png = dir.path().join("f.png");
        let plain = {
            let mut p = tiny_png();
            p.truncate(33);
            p
        };
        std::fs::write(&png, &plain).unwrap();
        assert!(check_file(&png, "--figures").is_err());
        std::fs::write(&png, mark_png(&plain)).unwrap();
        assert!(check_file(&png, "--figures").is_ok());
        let svg = dir.path().join("f.svg");
        std::fs::write(&svg, "<svg></svg>").unwrap();
        assert!(check_file(&svg, "--figures").is_err());
        std::fs::write(&svg, format!("{SVG_MARK}<svg></svg>")).unwrap();
        assert!(check_file(&svg, "--figures").is_ok());
    }

    #[test]
    fn a_marked_png_still_decodes() {
        let marked = mark_png(&tiny_png());
        let decoder = png::Decoder::new(std::io::Cursor::new(marked));
        let mut reader = decoder.read_info().unwrap();
        let text = &reader.info().uncompressed_latin1_text;
        assert_eq!(text[0].keyword, "Software");
        assert_eq!(text[0].text, GENERATOR);
        let mut buf = vec![0; reader.output_buffer_size().unwrap()];
        reader.next_frame(&mut buf).unwrap();
    }

    fn tiny_png() -> Vec<u8> {
        let mut out = Vec::new();
        {
            let mut e = png::Encoder::new(&mut out, 1, 1);
            e.set_color(png::ColorType::Rgba);
            let mut w = e.write_header().unwrap();
            w.write_image_data(&[1, 2, 3, 255]).unwrap();
        }
        out
    }

    #[test]
    fn a_folder_of_the_users_is_claimed_only_where_nothing_is_in_the_way() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        assert_eq!(
            check_folder(&d.join("new"), Owner::Run, "--out").unwrap(),
            Folder::New
        );
        std::fs::write(d.join("notes.txt"), "mine").unwrap();
        assert_eq!(
            check_folder(d, Owner::Run, "--out").unwrap(),
            Folder::Existing
        );
        std::fs::write(d.join("summary.csv"), "mine").unwrap();
        let e = check_folder(d, Owner::Run, "--out").unwrap_err();
        assert!(e.to_string().contains("summary.csv"), "{e}");
        assert!(check_folder(&d.join("notes.txt"), Owner::Sweep, "--out").is_err());
        std::fs::write(
            d.join("manifest.ron"),
            "Manifest(\n crate_version: \"0.1.0\",",
        )
        .unwrap();
        assert!(check_folder(d, Owner::Run, "--out").is_ok());
        assert!(check_folder(d, Owner::Sweep, "--out").is_err());
    }
}
