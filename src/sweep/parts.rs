//! A shard's part file, `parts/part-K-of-N.csv`: which runs it holds, the
//! claim on the output folder before it is written, and its recovery after
//! a kill (a partial last row cut off, a damaged part refused).

use super::prepare::{Prepared, SweepManifest};
use super::row::{Status, status_column};
use crate::config;
use crate::error::{Error, Result};
use crate::output::owned::{self, Owner};
use std::path::Path;

/// Which slice of the runs this process does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    /// 0-based index.
    pub index: u64,
    pub count: u64,
}

impl Default for Shard {
    /// Every run: [`Shard::ALL`].
    fn default() -> Self {
        Shard::ALL
    }
}

impl Shard {
    pub const ALL: Shard = Shard { index: 0, count: 1 };

    /// Parses `K/N` with 0 <= K < N.
    pub fn parse(text: &str) -> Result<Shard> {
        let bad = || {
            Error::Usage(format!(
                "--shard {text}: expected K/N with 0 <= K < N, e.g. 0/4"
            ))
        };
        let (k, n) = text.split_once('/').ok_or_else(bad)?;
        let (index, count): (u64, u64) = (
            k.trim().parse().map_err(|_| bad())?,
            n.trim().parse().map_err(|_| bad())?,
        );
        if count == 0 || index >= count {
            return Err(bad());
        }
        Ok(Shard { index, count })
    }

    /// From `SLURM_ARRAY_TASK_ID` (minus `SLURM_ARRAY_TASK_MIN`) and
    /// `SLURM_ARRAY_TASK_COUNT`, when both are set.
    pub fn from_slurm_env() -> Result<Option<Shard>> {
        let get = |k: &str| std::env::var(k).ok();
        let (Some(id), Some(count)) = (get("SLURM_ARRAY_TASK_ID"), get("SLURM_ARRAY_TASK_COUNT"))
        else {
            return Ok(None);
        };
        let num = |s: &str| {
            s.parse::<u64>()
                .map_err(|_| Error::Usage(format!("SLURM array variable `{s}` is not a number")))
        };
        let (id, count) = (num(&id)?, num(&count)?);
        let min = get("SLURM_ARRAY_TASK_MIN").map_or(Ok(0), |m| num(&m))?;
        let max =
            get("SLURM_ARRAY_TASK_MAX").map_or(Ok(min + count.saturating_sub(1)), |m| num(&m))?;
        if max.checked_sub(min).and_then(|d| d.checked_add(1)) != Some(count) {
            return Err(Error::Usage(format!(
                "the SLURM array {min}-{max} has {count} tasks, not a contiguous range: pass --shard K/N explicitly"
            )));
        }
        Shard::parse(&format!("{}/{count}", id.saturating_sub(min))).map(Some)
    }

    /// The run ids of this shard: a contiguous slice, so that the parts
    /// concatenated in shard order are the runs in order.
    pub fn range(&self, runs: u64) -> std::ops::Range<u64> {
        let at = |k: u64| (k as u128 * runs as u128 / self.count as u128) as u64;
        at(self.index)..at(self.index + 1)
    }

    pub fn part_name(&self) -> String {
        format!("part-{:05}-of-{:05}.csv", self.index, self.count)
    }
}

/// CSV text of `rows`, the header being one of them.
pub(super) fn csv_bytes<I: IntoIterator<Item = Vec<String>>>(rows: I) -> Vec<u8> {
    let mut w = csv::WriterBuilder::new().from_writer(Vec::new());
    for r in rows {
        w.write_record(&r).expect("writing to memory");
    }
    w.into_inner().expect("writing to memory")
}

/// Claims the sweep's output folder for the shards of a split `count` ways
/// to come (`--emit-slurm`): writes `sweep.ron` unless the folder already
/// holds the same sweep. A folder with another sweep, a run's output, parts
/// of another split, or a name the sweep writes that it did not write is
/// refused (see `output::owned`). Shards of one sweep may claim it at once:
/// the mark is written (atomically) before `parts/`.
pub fn claim_folder(p: &Prepared, count: u64) -> Result<()> {
    claim_folder_for(p, Shard { index: 0, count }, true)
}

/// [`claim_folder`] for `shard`, checking first what it will append to, so
/// that a refused shard writes nothing.
pub(super) fn claim_folder_for(p: &Prepared, shard: Shard, resume: bool) -> Result<()> {
    let dir = &p.out_dir;
    owned::check_folder(dir, Owner::Sweep, "--out")?;
    let path = dir.join("sweep.ron");
    let claimed = path.exists();
    if claimed {
        let existing: SweepManifest = config::parse_ron(&path, &config::read_file(&path)?)?;
        if existing.hash != p.manifest.hash {
            return Err(Error::InTheWay {
                path: dir.clone(),
                message: "holds the output of a different sweep (or of this one before its files changed); choose another --out".into(),
            });
        }
    }
    let parts = dir.join("parts");
    if parts.is_dir() {
        refuse_other_splits(&parts, shard)?;
        let part = parts.join(shard.part_name());
        owned::check_in_place(&part)?;
        if part.exists() && !resume {
            return Err(Error::InTheWay {
                path: part,
                message: "exists: pass --resume to continue this sweep, or choose another --out"
                    .into(),
            });
        }
    }
    if !claimed {
        let text = ron::ser::to_string_pretty(
            &p.manifest,
            ron::ser::PrettyConfig::new().struct_names(true),
        )
        .map_err(|e| Error::Output(e.to_string()))?;
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        crate::output::write_atomic(&path, text.as_bytes())?;
    }
    std::fs::create_dir_all(&parts).map_err(|e| Error::io(&parts, e))
}

/// Refuses to add a shard of an N-way split to parts of another split: the
/// runs would be there twice, and `merge` would refuse the folder.
fn refuse_other_splits(parts: &Path, shard: Shard) -> Result<()> {
    let entries = std::fs::read_dir(parts).map_err(|e| Error::io(parts, e))?;
    for entry in entries {
        let name = entry.map_err(|e| Error::io(parts, e))?.file_name();
        let name = name.to_string_lossy();
        let count = name
            .strip_prefix("part-")
            .and_then(|s| s.strip_suffix(".csv"))
            .and_then(|s| s.split_once("-of-"))
            .and_then(|(_, n)| n.parse::<u64>().ok());
        if let Some(count) = count.filter(|&c| c != shard.count) {
            return Err(Error::InTheWay {
                path: parts.join(name.as_ref()),
                message: format!(
                    "is a part of this sweep split {count} way(s); a shard of a split {} way(s) would run the same runs again: use --shard K/{count}, or another --out",
                    shard.count
                ),
            });
        }
    }
    Ok(())
}

/// What a scan of a part file found.
struct Scan {
    /// Complete runs in order from the shard's first.
    runs: u64,
    /// Bytes they (with the header) take.
    good_end: u64,
    /// The file's length.
    len: u64,
}

/// Scans a part file. With `header`, the file's header must equal it.
/// More after the complete runs than the one unterminated line a kill can
/// leave means the part was damaged or edited, not cut short: an error, so
/// that neither `merge` nor `--resume` (which would cut it there) uses it.
fn scan_part(path: &Path, header: Option<&[String]>, range: &std::ops::Range<u64>) -> Result<Scan> {
    let bytes = std::fs::read(path).map_err(|e| Error::read(path, &e))?;
    let mut reader = raw_reader(&bytes);
    let mut record = csv::StringRecord::new();
    let (mut good_end, mut runs, mut width) = (0u64, 0u64, None);
    while let Ok(true) = reader.read_record(&mut record) {
        let end = reader.position().byte();
        let terminated = end > 0 && bytes.get(end as usize - 1) == Some(&b'\n');
        if !terminated || width.is_some_and(|w| w != record.len()) {
            break;
        }
        match width {
            None => {
                if let Some(h) = header
                    && record.iter().ne(h.iter().map(String::as_str))
                {
                    return Err(Error::Usage(format!(
                        "{} has another header: it belongs to a different sweep",
                        path.display()
                    )));
                }
                width = Some(record.len());
            }
            Some(_) => {
                if record.get(0).and_then(|s| s.parse::<u64>().ok()) != Some(range.start + runs) {
                    break;
                }
                runs += 1;
            }
        }
        good_end = end;
    }
    let rest = &bytes[good_end as usize..];
    if rest.split_last().is_some_and(|(_, r)| r.contains(&b'\n')) {
        return Err(Error::Folder {
            path: path.to_path_buf(),
            message: format!(
                "line {}: a row that is not the next run of this shard (edited, damaged, or with line ends other than \\n), and more rows after it: the part is not as the sweep wrote it, so it is left as it is",
                runs + 2
            ),
        });
    }
    Ok(Scan {
        runs,
        good_end,
        len: bytes.len() as u64,
    })
}

/// Cuts off a run written only in part and returns how many runs the part holds.
pub(super) fn recover_part(
    path: &Path,
    header: &[String],
    range: &std::ops::Range<u64>,
) -> Result<u64> {
    let Scan {
        runs,
        good_end,
        len,
    } = scan_part(path, Some(header), range)?;
    if good_end < len {
        let file = std::fs::OpenOptions::new()
            .write(true)
            .open(path)
            .map_err(|e| Error::io(path, e))?;
        file.set_len(good_end).map_err(|e| Error::io(path, e))?;
    }
    Ok(runs)
}

/// A reader of a part file's records, the header among them.
fn raw_reader(bytes: &[u8]) -> csv::Reader<&[u8]> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(bytes)
}

/// Cuts a part file back to its header and first `rows` rows.
pub(super) fn cut_part(path: &Path, rows: u64) -> Result<()> {
    let bytes = std::fs::read(path).map_err(|e| Error::read(path, &e))?;
    let mut reader = raw_reader(&bytes);
    let mut record = csv::StringRecord::new();
    for _ in 0..=rows {
        if !reader
            .read_record(&mut record)
            .map_err(|e| Error::Output(format!("{}: {e}", path.display())))?
        {
            break;
        }
    }
    let file = std::fs::OpenOptions::new()
        .write(true)
        .open(path)
        .map_err(|e| Error::io(path, e))?;
    file.set_len(reader.position().byte())
        .map_err(|e| Error::io(path, e))
}

/// Complete runs in a part file, and whether a partial row follows them.
pub(crate) fn part_status(path: &Path, range: std::ops::Range<u64>) -> Result<(u64, bool)> {
    let scan = scan_part(path, None, &range)?;
    Ok((scan.runs, scan.good_end < scan.len))
}

/// Failed runs among the first `n` rows of a part file.
pub(super) fn count_failed(part: &Path, n: u64) -> Result<u64> {
    if n == 0 {
        return Ok(0);
    }
    let unreadable = |e: csv::Error| Error::Output(format!("{}: {e}", part.display()));
    let mut reader = csv::Reader::from_path(part).map_err(unreadable)?;
    let status = status_column(part, reader.headers().map_err(unreadable)?)?;
    let failed = Status::Failed.text();
    Ok(reader
        .records()
        .take(n as usize)
        .filter(|r| r.as_ref().is_ok_and(|r| r.get(status) == Some(failed)))
        .count() as u64)
}
