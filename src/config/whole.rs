//! Whole-number fields (`#[serde(deserialize_with = "whole")]`): read the
//! whole number written, so that a float where an integer goes is an error
//! of that field.
//!
//! RON reads an integer field as far as its digits go: `weeks: 104.5` reads
//! 104 and leaves `.5`, which fails only when the struct looks for the comma
//! before its next field. By then no field is being read, and
//! serde_path_to_error can name none (``field `?`: Expected comma``). Read
//! as any number, the value is the whole `104.5`, refused while `weeks` is
//! being read. A float with no fraction (`104.0`) is taken, as `--set` does.

use serde::de::{self, Deserializer, Unexpected, Visitor};
use std::fmt;
use std::marker::PhantomData;

/// An unsigned integer type a whole-number field may have.
pub trait Whole: TryFrom<u64> {
    const MAX: u64;
}

impl Whole for u32 {
    const MAX: u64 = u32::MAX as u64;
}
impl Whole for u64 {
    const MAX: u64 = u64::MAX;
}
impl Whole for usize {
    const MAX: u64 = usize::MAX as u64;
}

/// Deserializes a whole number of type `T` from any number.
pub fn whole<'de, D: Deserializer<'de>, T: Whole>(d: D) -> Result<T, D::Error> {
    d.deserialize_any(WholeVisitor(PhantomData))
}

struct WholeVisitor<T>(PhantomData<T>);

impl<T: Whole> Visitor<'_> for WholeVisitor<T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "a whole number from 0 to {}", T::MAX)
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<T, E> {
        T::try_from(v).map_err(|_| E::invalid_value(Unexpected::Unsigned(v), &self))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<T, E> {
        match u64::try_from(v) {
            Ok(v) => self.visit_u64(v),
            Err(_) => Err(E::invalid_value(Unexpected::Signed(v), &self)),
        }
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<T, E> {
        // below 2^64 a whole f64 converts exactly
        if v.fract() == 0.0 && (0.0..18_446_744_073_709_551_616.0).contains(&v) {
            self.visit_u64(v as u64)
        } else {
            Err(E::invalid_type(Unexpected::Float(v), &self))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    struct T {
        #[serde(deserialize_with = "whole")]
        n: u32,
        #[serde(default)]
        x: f64,
    }

    fn parse(text: &str) -> Result<u32, String> {
        crate::config::parse_ron::<T>(std::path::Path::new("t.ron"), text)
            .map(|t| t.n + t.x as u32)
            .map_err(|e| e.to_string())
    }

    #[test]
    fn whole_numbers_read_and_others_name_the_field() {
        assert_eq!(parse("(n: 104)"), Ok(104));
        assert_eq!(parse("(n: 104.0, x: 1.0)"), Ok(105));
        assert_eq!(parse("(n: 4294967295)"), Ok(u32::MAX));
        let expected = "Expected a whole number from 0 to 4294967295 but found";
        for (text, error) in [
            (
                "(n: 104.5)",
                "t.ron:1:5: field `n`: {} the floating point number `104.5` instead",
            ),
            ("(n: 104.5, x: 2.0)", "t.ron:1:5: field `n`: {}"),
            ("(x: 2.0, n: 0.5)", "t.ron:1:13: field `n`: {}"),
            (
                "(n: -1)",
                "t.ron:1:6: field `n`: {} the signed integer `-1`",
            ),
            (
                "(n: 4294967296)",
                "field `n`: {} the unsigned integer `4294967296`",
            ),
            ("(n: 1e20)", "field `n`: {} the floating point number"),
            ("(n: \"ten\")", "field `n`: {} the string \"ten\""),
        ] {
            let e = parse(text).unwrap_err();
            let error = error.replace("{}", expected);
            assert!(e.contains(&error), "{text}: `{error}` not in `{e}`");
        }
    }
}
