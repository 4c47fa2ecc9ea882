//! Headless-Chromium harness for HTML pages (the `report` output), and tests
//! proving that the harness itself can fail.
//!
//! `check_page` runs Chromium twice, one run at a time:
//! 1. on the ORIGINAL file: `--screenshot` (the PNG the caller asked for) and
//!    `--log-net-log`;
//! 2. on a COPY in a temp dir with a measuring `<script>` injected before
//!    `</body>`: `--dump-dom` and `--log-net-log`. The script writes its JSON
//!    result into `<pre id="chokepoint-check">`, which is parsed from the dump.
//!
//! Requests made by the page are the union of
//! - both net logs: every URL request except those Chromium itself starts
//!   (their `URL_REQUEST_START_JOB` has `initiator: "not an origin"`; every
//!   request a page makes, including navigations, carries the page's origin,
//!   which for a `file:` page is `"null"` or `"file://"`), plus preconnects
//!   (`HTTP_STREAM_JOB_CONTROLLER`) and DNS lookups (`HOST_RESOLVER_*`) whose
//!   host no URL request explains (`<link rel=preconnect|dns-prefetch>`);
//! - the copy's own `performance.getEntriesByType('resource')`, read after
//!   `load` (it lists failed requests too).

use std::io::BufReader;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde_json::Value;

/// What a page looked like in headless Chromium.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageCheck {
    /// One entry per `<figure class="chart" id="...">` in the page, in page order: (id, number of drawn data shapes).
    pub charts: Vec<(String, usize)>,
    /// URLs (not file: or data:) the page itself requested.
    pub requests: Vec<String>,
    /// Non-white pixels in the screenshot.
    pub inked_pixels: u64,
}

/// Set (to anything) to make a missing Chromium a failure instead of a skip.
const REQUIRE_VAR: &str = "CHOKEPOINT_REQUIRE_CHROMIUM";
/// Wall-clock limit for one Chromium run.
const RUN_TIMEOUT: Duration = Duration::from_secs(60);
/// Virtual time Chromium lets the page run before it dumps or screenshots.
const VIRTUAL_TIME_BUDGET_MS: u32 = 5000;
/// The element the injected script writes its result into.
const RESULT_ID: &str = "chokepoint-check";

/// Chromium runs one at a time: the machines are small, and a run that waits
/// for another must not eat into its own timeout.
static CHROMIUM_LOCK: Mutex<()> = Mutex::new(());

/// Measures the copy after `load` (+ 500 ms of virtual time, for scripts that
/// draw late) and writes JSON into `<pre id="chokepoint-check">`. The JSON is
/// escaped to ASCII without `<`, `>`, `&`, so the serialised DOM keeps it
/// verbatim.
const CHECK_SCRIPT: &str = r#"<script>
(function () {
  var SHAPES = 'polyline,polygon,path,rect,circle,line,ellipse';
  var NOT_RENDERED = 'defs,clipPath,mask,marker,pattern,symbol';
  function num(v) { var x = parseFloat(v); return isNaN(x) ? 0 : x; }
  // A paint (fill or stroke) that puts a non-grey colour on screen.
  function coloured(cs, prop) {
    var m = /^rgba?\(\s*([-\d.]+)[,\s]+([-\d.]+)[,\s]+([-\d.]+)(?:\s*[,\/]\s*([\d.]+)(%?))?\s*\)$/
      .exec(cs.getPropertyValue(prop).trim());
    if (!m) return false; // none, url(...), or an unknown syntax
    var alpha = m[4] === undefined ? 1 : num(m[4]) / (m[5] ? 100 : 1);
    if (!(alpha > 0) || !(num(cs.getPropertyValue(prop + '-opacity')) > 0)) return false;
    if (prop === 'stroke' && !(num(cs.getPropertyValue('stroke-width')) > 0)) return false;
    return !(num(m[1]) === num(m[2]) && num(m[2]) === num(m[3]));
  }
  function visible(el, figure) {
    if (el.closest(NOT_RENDERED)) return false;
    for (var e = el; e; e = e.parentElement) {
      var cs = getComputedStyle(e);
      if (cs.display === 'none' || !(num(cs.opacity) > 0)) return false;
      if (e === figure) break;
    }
    return getComputedStyle(el).visibility === 'visible';
  }
  function drawn(el, figure) {
    var cs = getComputedStyle(el);
    if (!coloured(cs, 'stroke') && !coloured(cs, 'fill')) return false;
    if (!visible(el, figure)) return false;
    var b;
    try { b = el.getBBox(); } catch (e) { return false; }
    return b.width + b.height > 0;
  }
  function measure() {
    var charts = [];
    document.querySelectorAll('figure.chart').forEach(function (fig) {
      var n = 0;
      fig.querySelectorAll(SHAPES).forEach(function (el) {
        if (el instanceof SVGGraphicsElement && drawn(el, fig)) n++;
      });
      charts.push([fig.id, n]);
    });
    var resources = performance.getEntriesByType('resource').map(function (e) { return e.name; });
    var json = JSON.stringify({ charts: charts, resources: resources })
      .replace(/[^\x20-\x7e]|[<>&]/g, function (c) {
        return '\\u' + ('0000' + c.charCodeAt(0).toString(16)).slice(-4);
      });
    var pre = document.createElement('pre');
    pre.id = 'chokepoint-check';
    pre.textContent = json;
    document.body.appendChild(pre);
  }
  window.addEventListener('load', function () { setTimeout(measure, 500); });
})();
</script>
"#;

/// Renders `html` (a file on disk) in headless Chromium, writes a screenshot PNG of `width`x`height` to `screenshot`, and measures the page.
/// Returns None (after printing "SKIPPED: chromium not found" to stderr) when no chromium is on PATH and CHOKEPOINT_REQUIRE_CHROMIUM is unset; panics with a clear message when it is set and chromium is missing.
pub fn check_page(html: &Path, screenshot: &Path, width: u32, height: u32) -> Option<PageCheck> {
    let Some(chromium) = find_chromium() else {
        if std::env::var_os(REQUIRE_VAR).is_some() {
            panic!("chromium not found on PATH, but {REQUIRE_VAR} is set");
        }
        // Straight to fd 2, past the test harness's capture of `eprintln!`.
        use std::io::Write;
        let _ = writeln!(std::io::stderr(), "SKIPPED: chromium not found");
        return None;
    };
    let html =
        std::fs::canonicalize(html).unwrap_or_else(|e| panic!("page {}: {e}", html.display()));
    let screenshot = absolute(screenshot);
    let tmp = tempfile::tempdir().expect("temp dir");

    // Run 1: the original page, screenshot + net log.
    let _ = std::fs::remove_file(&screenshot);
    let net_original = tmp.path().join("net-original.json");
    run_chromium(
        &chromium,
        tmp.path(),
        "screenshot",
        &[
            format!("--log-net-log={}", net_original.display()),
            format!("--screenshot={}", screenshot.display()),
            format!("--window-size={width},{height}"),
            "--hide-scrollbars".to_string(),
            file_url(&html),
        ],
    );
    let inked_pixels = inked_pixels(&screenshot, width, height);

    // Run 2: a copy with the measuring script, DOM dump + net log.
    let source =
        std::fs::read_to_string(&html).unwrap_or_else(|e| panic!("page {}: {e}", html.display()));
    let copy = tmp.path().join("page.html");
    std::fs::write(&copy, instrument(&source)).expect("write instrumented copy");
    let net_copy = tmp.path().join("net-copy.json");
    let dom = run_chromium(
        &chromium,
        tmp.path(),
        "dump-dom",
        &[
            format!("--log-net-log={}", net_copy.display()),
            "--dump-dom".to_string(),
            file_url(&copy),
        ],
    );
    let result = parse_check_result(&dom);

    let mut requests = page_requests_from_net_log(&net_original);
    requests.extend(page_requests_from_net_log(&net_copy));
    let resources = result["resources"]
        .as_array()
        .expect("resources is an array")
        .iter()
        .map(|r| r.as_str().expect("resource name is a string").to_string());
    requests.extend(resources.filter(|u| is_network_url(u)));
    requests.sort();
    requests.dedup();

    let charts = result["charts"]
        .as_array()
        .expect("charts is an array")
        .iter()
        .map(|c| {
            let id = c[0].as_str().expect("chart id is a string").to_string();
            let n = c[1].as_u64().expect("shape count is a number") as usize;
            (id, n)
        })
        .collect();
    Some(PageCheck {
        charts,
        requests,
        inked_pixels,
    })
}

/// The first `chromium` on PATH.
fn find_chromium() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join("chromium"))
        .find(|p| p.is_file())
}

fn absolute(p: &Path) -> PathBuf {
    std::path::absolute(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// `file://` URL of an absolute path, percent-encoding all but unreserved bytes and `/`.
fn file_url(p: &Path) -> String {
    use std::os::unix::ffi::OsStrExt;
    let mut url = String::from("file://");
    for &b in p.as_os_str().as_bytes() {
        if b.is_ascii_alphanumeric() || b"/-._~".contains(&b) {
            url.push(b as char);
        } else {
            url.push_str(&format!("%{b:02X}"));
        }
    }
    url
}

/// Runs Chromium headless with a fresh profile in `tmp` and `args` after the
/// common flags; returns its stdout. Panics on a non-zero exit or after
/// [`RUN_TIMEOUT`] (killing the whole process group).
fn run_chromium(chromium: &Path, tmp: &Path, what: &str, args: &[String]) -> String {
    use std::os::unix::process::CommandExt;
    let _serial = CHROMIUM_LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let profile = tempfile::tempdir_in(tmp).expect("profile dir");
    let stdout_path = tmp.join(format!("{what}.stdout"));
    let stderr_path = tmp.join(format!("{what}.stderr"));
    let stdout = std::fs::File::create(&stdout_path).expect("stdout file");
    let stderr = std::fs::File::create(&stderr_path).expect("stderr file");
    let mut child = Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-quic",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg(format!("--virtual-time-budget={VIRTUAL_TIME_BUDGET_MS}"))
        .args(args)
        .stdin(Stdio::null())
        .stdout(stdout)
        .stderr(stderr)
        .process_group(0)
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {}: {e}", chromium.display()));
    let kill_group = |pid: u32| {
        // The browser's helper processes share its process group.
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{pid}")])
            .stderr(Stdio::null())
            .status();
    };
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for chromium") {
            break status;
        }
        if start.elapsed() > RUN_TIMEOUT {
            kill_group(child.id());
            let _ = child.wait();
            panic!(
                "chromium ({what}) did not finish in {RUN_TIMEOUT:?}; args {args:?}; stderr:\n{}",
                tail(&stderr_path)
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    kill_group(child.id()); // leftovers, if any
    if !status.success() {
        panic!(
            "chromium ({what}) failed with {status}; args {args:?}; stderr:\n{}",
            tail(&stderr_path)
        );
    }
    std::fs::read_to_string(&stdout_path).expect("chromium stdout is UTF-8")
}

/// The last lines of a log file, for panic messages (dbus noise included).
fn tail(p: &Path) -> String {
    let text = std::fs::read_to_string(p).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(30)..].join("\n")
}

/// The page with [`CHECK_SCRIPT`] before its last `</body>` (or at the end),
/// and with any `<meta http-equiv="Content-Security-Policy">` disabled so that
/// the script may run. (Requests such a policy would block then show up in
/// the copy, i.e. they are reported, never hidden.)
fn instrument(source: &str) -> String {
    let lower = source.to_ascii_lowercase();
    let mut out = String::with_capacity(source.len() + CHECK_SCRIPT.len());
    let mut done = 0;
    let mut from = 0;
    while let Some(i) = lower[from..].find("<meta").map(|i| i + from) {
        let end = lower[i..].find('>').map_or(lower.len(), |e| i + e);
        let tag = &lower[i..end];
        if tag.contains("content-security-policy")
            && let Some(a) = tag.find("http-equiv")
        {
            out.push_str(&source[done..i + a]);
            out.push_str("data-chokepoint-disabled-");
            done = i + a;
        }
        from = end;
    }
    let body_end = lower.rfind("</body>").unwrap_or(lower.len()).max(done);
    out.push_str(&source[done..body_end]);
    out.push_str(CHECK_SCRIPT);
    out.push_str(&source[body_end..]);
    out
}

/// The JSON the injected script left in the dumped DOM.
fn parse_check_result(dom: &str) -> Value {
    let marker = format!("<pre id=\"{RESULT_ID}\">");
    let Some(start) = dom.rfind(&marker).map(|i| i + marker.len()) else {
        panic!(
            "the injected check script left no result in the DOM (did it run? \
             a script error, or the page navigated away?); DOM dump starts:\n{}",
            dom.chars().take(2000).collect::<String>()
        );
    };
    let end = dom[start..]
        .find("</pre>")
        .map(|e| start + e)
        .expect("result element is closed");
    serde_json::from_str(&dom[start..end])
        .unwrap_or_else(|e| panic!("check result is not JSON ({e}): {}", &dom[start..end]))
}

/// Whether a URL went (or would go) to the network: not file:, data:, blob: or about:.
fn is_network_url(url: &str) -> bool {
    let scheme = url.split(':').next().unwrap_or("").to_ascii_lowercase();
    !matches!(scheme.as_str(), "file" | "data" | "blob" | "about")
}

/// The host of `scheme://host[:port]/...` (or of a bare `host[:port]`).
fn host_of(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let authority = authority.rsplit('@').next().unwrap_or("");
    let host = if let Some(v6) = authority.strip_prefix('[') {
        v6.split(']').next().unwrap_or("")
    } else {
        authority.split(':').next().unwrap_or("")
    };
    host.to_ascii_lowercase()
}

/// Requests in a Chromium net log that the page made (see the module docs).
fn page_requests_from_net_log(path: &Path) -> Vec<String> {
    let text =
        std::fs::read_to_string(path).unwrap_or_else(|e| panic!("net log {}: {e}", path.display()));
    let log: Value = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("net log {} is not complete JSON: {e}", path.display()));
    let names = |table: &str| -> std::collections::HashMap<u64, String> {
        log["constants"][table]
            .as_object()
            .unwrap_or_else(|| panic!("net log has no constants.{table}"))
            .iter()
            .map(|(name, id)| (id.as_u64().expect("constant id"), name.clone()))
            .collect()
    };
    let event_types = names("logEventTypes");
    let source_types = names("logSourceType");

    // URL requests, by source id: their URLs, and whether Chromium started them itself.
    let mut url_requests: std::collections::BTreeMap<u64, (Vec<String>, bool)> = Default::default();
    let mut stream_urls = Vec::new();
    let mut resolved_hosts = Vec::new();
    for event in log["events"].as_array().expect("net log events") {
        let kind = event["type"]
            .as_u64()
            .and_then(|t| event_types.get(&t))
            .map_or("", String::as_str);
        let source = &event["source"];
        let source_kind = source["type"]
            .as_u64()
            .and_then(|t| source_types.get(&t))
            .map_or("", String::as_str);
        let params = &event["params"];
        let url = params["url"].as_str();
        match (source_kind, kind, url) {
            ("URL_REQUEST", "REQUEST_ALIVE" | "URL_REQUEST_START_JOB", Some(url)) => {
                let entry = url_requests
                    .entry(source["id"].as_u64().expect("source id"))
                    .or_default();
                entry.0.push(url.to_string());
                if kind == "URL_REQUEST_START_JOB"
                    && params["initiator"].as_str() == Some("not an origin")
                {
                    entry.1 = true;
                }
            }
            (_, "HTTP_STREAM_JOB_CONTROLLER", Some(url)) => stream_urls.push(url.to_string()),
            (_, k, _) if k.starts_with("HOST_RESOLVER") => {
                if let Some(host) = params["host"].as_str() {
                    resolved_hosts.push(host.to_string());
                }
            }
            _ => {}
        }
    }

    let mut page = Vec::new();
    let mut background = std::collections::HashSet::new();
    for (urls, by_browser) in url_requests.into_values() {
        if by_browser {
            background.extend(urls);
        } else {
            page.extend(urls);
        }
    }
    // Preconnects: a stream job for no browser request.
    page.extend(stream_urls.into_iter().filter(|u| !background.contains(u)));
    // DNS lookups for a host no request explains (e.g. dns-prefetch).
    let explained: std::collections::HashSet<String> =
        page.iter().chain(&background).map(|u| host_of(u)).collect();
    page.extend(
        resolved_hosts
            .into_iter()
            .filter(|h| !explained.contains(&host_of(h))),
    );
    page.retain(|u| is_network_url(u));
    page
}

/// Non-white pixels in a `width`x`height` PNG.
fn inked_pixels(png_path: &Path, width: u32, height: u32) -> u64 {
    let file = std::fs::File::open(png_path)
        .unwrap_or_else(|e| panic!("chromium wrote no screenshot {}: {e}", png_path.display()));
    let mut decoder = png::Decoder::new(BufReader::new(file));
    decoder.set_transformations(png::Transformations::normalize_to_color8());
    let mut reader = decoder
        .read_info()
        .unwrap_or_else(|e| panic!("screenshot {}: {e}", png_path.display()));
    let mut buf = vec![0; reader.output_buffer_size().expect("screenshot size")];
    let info = reader
        .next_frame(&mut buf)
        .unwrap_or_else(|e| panic!("screenshot {}: {e}", png_path.display()));
    assert_eq!(
        (info.width, info.height),
        (width, height),
        "screenshot {} has the wrong size",
        png_path.display()
    );
    let channels = info.color_type.samples();
    let mut inked = 0;
    for row in buf.chunks_exact(info.line_size).take(info.height as usize) {
        for px in row[..info.width as usize * channels].chunks_exact(channels) {
            let (colour, alpha) = match channels {
                1 => (&px[..1], 255),
                2 => (&px[..1], px[1]),
                3 => (&px[..3], 255),
                _ => (&px[..3], px[3]),
            };
            if alpha > 0 && colour.iter().any(|&c| c < 255) {
                inked += 1;
            }
        }
    }
    inked
}

// ---------------------------------------------------------------------------
// Tests of the harness itself: each one shows a check that can fail.

/// Writes `html` to `page.html` in a new temp dir and checks it.
fn check_inline(html: &str, width: u32, height: u32) -> Option<(tempfile::TempDir, PageCheck)> {
    let dir = tempfile::tempdir().expect("temp dir");
    let page = dir.path().join("page.html");
    std::fs::write(&page, html).expect("write page");
    let check = check_page(&page, &dir.path().join("shot.png"), width, height)?;
    Some((dir, check))
}

#[test]
fn counts_coloured_shapes_per_chart_figure() {
    let html = r##"<!doctype html><html><body>
<figure class="chart" id="drawn"><svg width="200" height="100" xmlns="http://www.w3.org/2000/svg">
<rect x="0" y="0" width="200" height="100" fill="#FFFFFF" stroke="none"/>
<line x1="10" y1="90" x2="190" y2="90" stroke="#000000" opacity="1"/>
<text x="5" y="10" fill="#000000">axis</text>
<polyline fill="none" opacity="1" stroke="#1F77B4" stroke-width="2" points="10,80 60,40 110,60 190,10"/>
</svg></figure>
<figure class="chart" id="empty"><svg width="200" height="100"></svg></figure>
</body></html>"##;
    let Some((_dir, check)) = check_inline(html, 400, 300) else {
        return;
    };
    assert_eq!(
        check.charts,
        vec![("drawn".to_string(), 1), ("empty".to_string(), 0)],
        "{check:?}"
    );
    assert!(check.requests.is_empty(), "{check:?}");
}

#[test]
fn invisible_or_grey_shapes_do_not_count() {
    let html = r##"<!doctype html><html><body>
<figure class="chart" id="c"><svg width="200" height="100">
<polyline fill="none" stroke="#888888" points="10,80 190,10"/>
<polyline fill="none" stroke="#1F77B4" points="10,80 10,80"/>
<polyline fill="none" stroke="#1F77B4" opacity="0" points="10,80 190,10"/>
<polyline fill="none" stroke="none" points="10,80 190,10"/>
<g style="display:none"><rect width="50" height="50" fill="#FF0000"/></g>
<circle cx="50" cy="50" r="5" fill="#D62728"/>
</svg></figure>
</body></html>"##;
    let Some((_dir, check)) = check_inline(html, 400, 300) else {
        return;
    };
    assert_eq!(check.charts, vec![("c".to_string(), 1)], "{check:?}");
}

#[test]
fn reports_requests_made_by_the_page() {
    let with_image = r#"<!doctype html><html><body><p>x</p><img src="http://example.invalid/x.png"></body></html>"#;
    let Some((_dir, check)) = check_inline(with_image, 400, 300) else {
        return;
    };
    assert_eq!(
        check.requests,
        vec!["http://example.invalid/x.png".to_string()]
    );

    let local = r#"<!doctype html><html><body><p>x</p><img src="data:image/gif;base64,R0lGODlhAQABAAAAACw="></body></html>"#;
    let Some((_dir, check)) = check_inline(local, 400, 300) else {
        return;
    };
    assert!(check.requests.is_empty(), "{check:?}");
}

#[test]
fn reports_requests_the_performance_api_cannot_see() {
    // A preconnect and a DNS prefetch leave no resource timing entry.
    let html = r#"<!doctype html><html><head>
<link rel="preconnect" href="http://127.0.0.1:1">
<link rel="dns-prefetch" href="https://prefetch.invalid">
</head><body><p>x</p></body></html>"#;
    let Some((_dir, check)) = check_inline(html, 400, 300) else {
        return;
    };
    let hosts: Vec<String> = check.requests.iter().map(|u| host_of(u)).collect();
    assert!(hosts.contains(&"127.0.0.1".to_string()), "{check:?}");
    assert!(hosts.contains(&"prefetch.invalid".to_string()), "{check:?}");
}

#[test]
fn screenshot_of_coloured_content_is_inked() {
    let html = r#"<!doctype html><html><body style="margin:0;background:#fff">
<div style="width:100px;height:50px;background:#1F77B4"></div></body></html>"#;
    let Some((dir, check)) = check_inline(html, 320, 200) else {
        return;
    };
    assert!(dir.path().join("shot.png").is_file());
    assert_eq!(check.inked_pixels, 100 * 50, "{check:?}");

    let blank = r#"<!doctype html><html><body style="background:#fff"></body></html>"#;
    let Some((_dir, check)) = check_inline(blank, 320, 200) else {
        return;
    };
    assert_eq!(check.inked_pixels, 0, "{check:?}");
}

#[test]
fn helpers() {
    assert_eq!(host_of("https://a.example:8443/x?y"), "a.example");
    assert_eq!(host_of("http://[::1]:9/"), "::1");
    assert_eq!(host_of("prefetch.invalid"), "prefetch.invalid");
    assert!(!is_network_url("data:text/plain,x"));
    assert!(!is_network_url("file:///tmp/x"));
    assert!(is_network_url("wss://x.invalid/"));
    assert_eq!(
        file_url(Path::new("/a b/c%.html")),
        "file:///a%20b/c%25.html"
    );
    let csp = r#"<html><head><META HTTP-EQUIV="Content-Security-Policy" content="x"></head><body>y</body></html>"#;
    let out = instrument(csp);
    assert!(out.contains(r#"<META data-chokepoint-disabled-HTTP-EQUIV="Content-Security-Policy""#));
    assert!(out.ends_with("</script>\n</body></html>"), "{out}");
    assert!(instrument("no body").starts_with("no body<script>"));
}
