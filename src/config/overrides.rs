//! `--set PATH=VALUE`: change one value of a scenario by a dotted path.
//!
//! Path segments are struct fields, list indices (`populations.0`) or, for
//! lists of named things, the name (`states.CN`, `populations.us_auto_suppliers`,
//! `states.US.tech_restrictions.eda_software`). The value is RON: `20`,
//! `0.5`, `true`, `"text"`, `Conceder(e: 2.0)`, `Linear`, `(4.0, 52.0)`, `None` (an optional
//! field left out).
//! The new value must have the kind of the old one (number for number, ...).

use super::scenario::Scenario;
use crate::error::{Error, Result};
use serde_json::Value;

/// Keys that name the elements of lists, tried in this order.
const NAME_KEYS: [&str; 5] = ["code", "id", "name", "sector", "material"];

/// Applies `assignments` in order and returns the changed scenario.
pub fn apply_overrides(scenario: Scenario, assignments: &[String]) -> Result<Scenario> {
    if assignments.is_empty() {
        return Ok(scenario);
    }
    let mut tree = serde_json::to_value(&scenario).map_err(|e| Error::Output(e.to_string()))?;
    for assignment in assignments {
        apply_one(&mut tree, assignment)?;
    }
    let de = tree;
    serde_path_to_error::deserialize::<_, Scenario>(de).map_err(|e| Error::Override {
        assignment: assignments.join(" "),
        message: format!("field `{}`: {}", e.path(), e.inner()),
    })
}

fn apply_one(tree: &mut Value, assignment: &str) -> Result<()> {
    let fail = |message: String| Error::Override {
        assignment: assignment.to_string(),
        message,
    };
    let (path, text) = assignment
        .split_once('=')
        .ok_or_else(|| fail("expected PATH=VALUE, e.g. negotiation.deadline_weeks=20".into()))?;
    let path = path.trim();
    if path.is_empty() {
        return Err(fail("empty path".into()));
    }
    let new = parse_value(text.trim()).map_err(fail)?;
    let mut node = tree;
    let mut walked = Vec::new();
    for segment in path.split('.') {
        let here = if walked.is_empty() {
            "the scenario".to_string()
        } else {
            format!("`{}`", walked.join("."))
        };
        node = match node {
            Value::Object(map) => {
                let keys: Vec<String> = map.keys().cloned().collect();
                map.get_mut(segment).ok_or_else(|| {
                    fail(format!(
                        "unknown field `{segment}` in {here}; fields: {}",
                        keys.join(", ")
                    ))
                })?
            }
            Value::Array(items) => {
                let names: Vec<String> = items.iter().filter_map(element_name).collect();
                let index = match segment.parse::<usize>() {
                    Ok(i) if i < items.len() => i,
                    _ => items
                        .iter()
                        .position(|v| element_name(v).as_deref() == Some(segment))
                        .ok_or_else(|| {
                            fail(format!(
                                "no element `{segment}` in {here} ({} elements; names: {})",
                                items.len(),
                                if names.is_empty() {
                                    "none".into()
                                } else {
                                    names.join(", ")
                                }
                            ))
                        })?,
                };
                &mut items[index]
            }
            _ => {
                return Err(fail(format!(
                    "{here} is a value, not a struct or list: cannot descend into `{segment}`"
                )));
            }
        };
        walked.push(segment);
    }
    if !same_kind(node, &new) {
        return Err(fail(format!(
            "`{path}` holds {}, got {}",
            describe(node),
            describe(&new)
        )));
    }
    *node = new;
    Ok(())
}

fn element_name(v: &Value) -> Option<String> {
    let map = v.as_object()?;
    NAME_KEYS
        .iter()
        .find_map(|k| map.get(*k).and_then(Value::as_str).map(str::to_string))
}

fn same_kind(old: &Value, new: &Value) -> bool {
    match (old, new) {
        (Value::Null, _) | (_, Value::Null) => true,
        (Value::Number(_), Value::Number(_))
        | (Value::Bool(_), Value::Bool(_))
        | (Value::Array(_), Value::Array(_)) => true,
        // enums: unit variants are strings, struct variants one-key objects
        (Value::String(_) | Value::Object(_), Value::String(_) | Value::Object(_)) => true,
        _ => false,
    }
}

fn describe(v: &Value) -> String {
    match v {
        Value::Null => "nothing".into(),
        Value::Bool(b) => format!("a boolean ({b})"),
        Value::Number(n) => format!("a number ({n})"),
        Value::String(s) => format!("a string or variant (`{s}`)"),
        Value::Array(_) => "a list".into(),
        Value::Object(_) => "a struct or variant".into(),
    }
}

/// Parses a RON value into the JSON tree's shape. `Name(..)` becomes an
/// enum struct variant, a bare identifier a unit variant.
fn parse_value(text: &str) -> std::result::Result<Value, String> {
    if text.is_empty() {
        return Err("empty value".into());
    }
    let ident_end = text
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(text.len());
    let ident = &text[..ident_end];
    let starts_upper = ident.chars().next().is_some_and(|c| c.is_ascii_uppercase());
    if !ident.is_empty()
        && !starts_upper
        && !matches!(ident, "true" | "false")
        && !ident.starts_with(|c: char| c.is_ascii_digit())
    {
        return Err(format!(
            "cannot read `{text}` as a RON value; strings need quotes, e.g. \"{text}\""
        ));
    }
    if text == "None" {
        // an optional field left out
        return Ok(Value::Null);
    }
    if starts_upper && ident_end == text.len() {
        return Ok(Value::String(ident.to_string()));
    }
    if starts_upper && text[ident_end..].starts_with('(') && ident != "Some" {
        let inner: ron::Value = ron::from_str(&text[ident_end..])
            .map_err(|e| format!("cannot read `{text}` as RON: {e}"))?;
        return Ok(Value::Object(
            [(ident.to_string(), ron_to_json(inner)?)]
                .into_iter()
                .collect(),
        ));
    }
    let value: ron::Value = ron::from_str(text).map_err(|e| {
        format!("cannot read `{text}` as a RON value ({e}); strings need quotes, e.g. \"text\"")
    })?;
    ron_to_json(value)
}

fn ron_to_json(v: ron::Value) -> std::result::Result<Value, String> {
    Ok(match v {
        ron::Value::Bool(b) => Value::Bool(b),
        ron::Value::Char(c) => Value::String(c.to_string()),
        ron::Value::String(s) => Value::String(s),
        ron::Value::Unit | ron::Value::Option(None) => Value::Null,
        ron::Value::Option(Some(b)) => ron_to_json(*b)?,
        ron::Value::Number(n) => {
            let f = n.into_f64();
            if !f.is_finite() {
                return Err(format!("{f} is not a finite number"));
            }
            if f.fract() == 0.0 && f.abs() < 9.0e15 {
                if f >= 0.0 {
                    Value::from(f as u64)
                } else {
                    Value::from(f as i64)
                }
            } else {
                Value::from(f)
            }
        }
        ron::Value::Seq(items) => Value::Array(
            items
                .into_iter()
                .map(ron_to_json)
                .collect::<std::result::Result<_, _>>()?,
        ),
        ron::Value::Map(map) => {
            let mut out = serde_json::Map::new();
            for (k, v) in map {
                let key = match k {
                    ron::Value::String(s) => s,
                    other => return Err(format!("map key {other:?} is not a name")),
                };
                out.insert(key, ron_to_json(v)?);
            }
            Value::Object(out)
        }
        ron::Value::Bytes(_) => return Err("bytes are not supported".into()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_values_of_each_kind() {
        assert_eq!(parse_value("20").unwrap(), Value::from(20u64));
        assert_eq!(parse_value("0.5").unwrap(), Value::from(0.5));
        assert_eq!(parse_value("true").unwrap(), Value::Bool(true));
        assert_eq!(parse_value("\"x\"").unwrap(), Value::String("x".into()));
        // an optional field left out
        assert_eq!(parse_value("None").unwrap(), Value::Null);
        assert_eq!(
            parse_value("Linear").unwrap(),
            Value::String("Linear".into())
        );
        let v = parse_value("Conceder(e: 2.0)").unwrap();
        assert_eq!(v["Conceder"]["e"].as_f64(), Some(2.0));
        assert!(parse_value("abc").is_err());
    }
}
