//! `terms.csv` holds the terms of every move of `transcript.csv`, long (one
//! row per move and issue, with the value's unit): read in order, its rows
//! packed as the transcript packs them give the transcript's `terms` column.

use crate::common::*;

#[test]
fn terms_csv_is_the_transcripts_terms_long() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("b");
    run_baseline(&out, 1);
    let read = |f: &str| -> Vec<csv::StringRecord> {
        csv::Reader::from_path(out.join(f))
            .unwrap()
            .records()
            .map(Result::unwrap)
            .collect()
    };
    let (transcript, terms) = (read("transcript.csv"), read("terms.csv"));
    let mut next = terms.iter();
    let mut moves = 0;
    for t in &transcript {
        // week, date, track, round, event, actor, terms, ...
        if t[6].is_empty() {
            continue;
        }
        let issues = t[6].split(';').count();
        let rows: Vec<&csv::StringRecord> = next.by_ref().take(issues).collect();
        assert_eq!(rows.len(), issues, "terms.csv ends before {t:?}");
        let packed: Vec<String> = rows
            .iter()
            .map(|r| {
                // week, track, round, event, actor, issue, value, unit
                assert_eq!(
                    (&r[0], &r[1], &r[2], &r[3], &r[4]),
                    (&t[0], &t[2], &t[3], &t[4], &t[5])
                );
                let unit = match &r[5] {
                    i if i.starts_with("relief[") || i.starts_with("restriction[") => "level",
                    "civilian_approval" => "probability",
                    "licence_validity" => "weeks",
                    _ => "flag",
                };
                assert_eq!(&r[7], unit, "{r:?}");
                format!("{}={:.3}", &r[5], r[6].parse::<f64>().unwrap())
            })
            .collect();
        assert_eq!(packed.join(";"), &t[6]);
        moves += 1;
    }
    assert!(next.next().is_none(), "terms.csv has rows of no move");
    assert!(moves >= 10, "{moves} moves with terms");
}
