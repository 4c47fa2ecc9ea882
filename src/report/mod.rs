//! `chokepoint report DIR`: one self-contained HTML page (inline SVG, no
//! script, no font or file from elsewhere) drawn from the files of a run's
//! or a sweep's output folder, and optionally each figure as SVG and PNG.
//!
//! The page is built from the files alone, never from a re-run: what it
//! shows is what the folder holds. A missing, half-written or inconsistent
//! file is an error naming it, never a blank page.

pub mod chart;
pub mod frame;
pub mod run;
pub mod sweep;

use crate::error::Result;
use crate::output::owned::{self, Staged};
use chart::Figure;
use frame::{Frame, bad};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// How much larger than the SVG a PNG figure is: 2 x 520 px per panel is
/// about 8.8 cm at 300 dpi.
pub const PNG_SCALE: f32 = 2.0;

/// What `report` wrote.
#[derive(Debug)]
pub struct Written {
    pub html: PathBuf,
    /// "run" or "sweep".
    pub kind: &'static str,
    pub figures: usize,
    /// SVG and PNG files written with `--figures`.
    pub figure_files: Vec<PathBuf>,
}

/// A page: heading, facts about the folder, figures and tables.
pub struct Page {
    pub title: String,
    /// (label, value) lines of the header.
    pub facts: Vec<(String, String)>,
    pub figures: Vec<Figure>,
    pub tables: Vec<Table>,
}

/// A table of the page.
pub struct Table {
    pub id: String,
    pub title: String,
    pub note: String,
    pub columns: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

impl Table {
    /// A whole CSV file as a table.
    pub fn of(id: &str, title: &str, note: &str, frame: &Frame) -> Table {
        Table {
            id: id.into(),
            title: title.into(),
            note: note.into(),
            columns: frame.columns.clone(),
            rows: frame.rows.clone(),
        }
    }
}

/// Writes the report of `dir` to `out` (default `dir/report.html`) and, with
/// `figures`, each figure as SVG and PNG into that folder.
pub fn report(dir: &Path, out: Option<&Path>, figures: Option<&Path>) -> Result<Written> {
    if !dir.is_dir() {
        return Err(bad(dir, "no such output folder"));
    }
    let (kind, page) = if dir.join("manifest.ron").exists() {
        ("run", run_page(dir)?)
    } else if dir.join("sweep.ron").exists() {
        ("sweep", sweep::page(dir)?)
    } else {
        let partial = dir
            .file_name()
            .is_some_and(|n| n.to_string_lossy().contains(".partial-"));
        let message = if partial {
            "missing: manifest.ron; this folder is a run still being written (or killed while writing)"
        } else {
            "missing: manifest.ron (a run's folder) or sweep.ron (a sweep's folder)"
        };
        return Err(bad(&dir.join("manifest.ron"), message));
    };
    let mut page = page;
    // A figure with nothing to show (e.g. no headline column with a value
    // when every run failed) is left out rather than drawn empty.
    page.figures.retain(|f| !f.panels.is_empty());
    // Every name written is checked before anything is: only files that
    // carry report's generator mark are replaced (see `output::owned`).
    let out = out.map_or_else(|| dir.join("report.html"), Path::to_path_buf);
    owned::check_file(&out, "--out")?;
    let figure_path =
        |folder: &Path, figure: &Figure, ext: &str| folder.join(format!("{}.{ext}", figure.id));
    if let Some(folder) = figures {
        owned::check_figure_folder(folder)?;
        for figure in &page.figures {
            for ext in ["svg", "png"] {
                owned::check_file(&figure_path(folder, figure, ext), "--figures")?;
            }
        }
    }
    let mut svgs = Vec::with_capacity(page.figures.len());
    for figure in &page.figures {
        svgs.push(figure.svg()?);
    }
    let html = render(&page, &svgs);
    // Written under temporary names, renamed together at the end: a report
    // that fails leaves no new file.
    let mut staged = Staged::new();
    if let Some(parent) = out.parent().filter(|p| !p.as_os_str().is_empty()) {
        staged.create_dir_all(parent)?;
    }
    staged.write(&out, html.as_bytes())?;
    let mut figure_files = Vec::new();
    if let Some(folder) = figures {
        staged.create_dir_all(folder)?;
        let rasteriser = chart::Rasteriser::new()?;
        for (figure, svg) in page.figures.iter().zip(&svgs) {
            let path = figure_path(folder, figure, "svg");
            staged.write(&path, format!("{}{svg}", owned::SVG_MARK).as_bytes())?;
            figure_files.push(path);
            let path = figure_path(folder, figure, "png");
            staged.write(&path, &owned::mark_png(&rasteriser.png(svg, PNG_SCALE)?))?;
            figure_files.push(path);
        }
    }
    staged.commit()?;
    Ok(Written {
        html: out,
        kind,
        figures: page.figures.len(),
        figure_files,
    })
}

fn run_page(dir: &Path) -> Result<Page> {
    let data = run::RunData::load(dir)?;
    let m = &data.manifest;
    let mut facts = vec![
        ("scenario".to_string(), m.scenario.name.clone()),
        ("seed".into(), m.seed.to_string()),
        ("weeks".into(), format!("{} from {}", m.weeks, m.start_date)),
        ("crate version".into(), m.crate_version.clone()),
        ("scenario hash".into(), m.scenario_hash.clone()),
        ("run file".into(), m.config.clone()),
        ("model file".into(), m.model.clone()),
    ];
    if !m.overrides.is_empty() {
        facts.push(("overrides".into(), m.overrides.join(", ")));
    }
    facts.push(("folder".into(), dir.display().to_string()));
    let summary = &data.summary;
    let summary_table = Table {
        id: "summary".into(),
        title: "Summary".into(),
        note: "summary.csv, one row turned into a column.".into(),
        columns: vec!["column".into(), "value".into()],
        rows: summary
            .columns
            .iter()
            .zip(&summary.rows[0])
            .map(|(c, v)| vec![c.clone(), v.clone()])
            .collect(),
    };
    Ok(Page {
        title: format!("Run report: {}", m.scenario.name),
        facts,
        figures: data.figures()?,
        tables: vec![
            summary_table,
            Table::of(
                "transcript",
                "Negotiation transcript",
                "transcript.csv, every row.",
                &data.transcript,
            ),
        ],
    })
}

/// Text as HTML.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = "body{font-family:sans-serif;margin:24px auto;max-width:1100px;color:#222}\
h1{font-size:24px}h2{font-size:19px;margin-top:32px}\
table{border-collapse:collapse;font-size:13px}td,th{border:1px solid #ccc;padding:3px 6px;text-align:left}\
th{background:#f2f2f2}table.facts td:first-child{font-weight:bold}\
figure{margin:24px 0}figure svg{max-width:100%;height:auto}figcaption{font-size:13px;color:#555}\
.scroll{max-height:480px;overflow:auto}nav a{margin-right:12px}";

/// The whole page as HTML, with the figures' SVG inline.
pub fn render(page: &Page, svgs: &[String]) -> String {
    let mut h = String::new();
    let title = escape(&page.title);
    let mark = owned::HTML_MARK;
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n{mark}\n<title>{title}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<header>\n<h1>{title}</h1>\n<table class=\"facts\">\n"
    );
    for (label, value) in &page.facts {
        let _ = writeln!(
            h,
            "<tr><td>{}</td><td>{}</td></tr>",
            escape(label),
            escape(value)
        );
    }
    h.push_str("</table>\n<nav>");
    let ids = page.figures.iter().map(|f| &f.id);
    for id in ids.chain(page.tables.iter().map(|t| &t.id)) {
        let _ = write!(h, "<a href=\"#{}\">{}</a>", escape(id), escape(id));
    }
    h.push_str("</nav>\n</header>\n<main>\n");
    for (f, svg) in page.figures.iter().zip(svgs) {
        let _ = write!(
            h,
            "<figure class=\"chart\" id=\"{}\">\n{svg}\n<figcaption>{}: {}</figcaption>\n</figure>\n",
            escape(&f.id),
            escape(&f.title),
            escape(&f.caption)
        );
    }
    for t in &page.tables {
        let _ = write!(
            h,
            "<section id=\"{}\">\n<h2>{}</h2>\n<p>{}</p>\n<div class=\"scroll\"><table>\n<tr>",
            escape(&t.id),
            escape(&t.title),
            escape(&t.note)
        );
        for c in &t.columns {
            let _ = write!(h, "<th>{}</th>", escape(c));
        }
        h.push_str("</tr>\n");
        for row in &t.rows {
            h.push_str("<tr>");
            for cell in row {
                let _ = write!(h, "<td>{}</td>", escape(cell));
            }
            h.push_str("</tr>\n");
        }
        h.push_str("</table></div>\n</section>\n");
    }
    h.push_str("</main>\n</body>\n</html>\n");
    h
}
