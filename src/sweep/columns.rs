//! The declared columns of a sweep's tables: `runs.csv` (fixed columns,
//! then the axes, then the base scenario's summary columns), `points.csv`
//! and `sobol.csv`, with their types, units and meanings (`crate::schema`).

use crate::metrics::ColumnType::{self, *};
use crate::schema::{Column, Measure, Unit};

pub const RUN: Measure = Measure {
    pattern: "run",
    unit: Unit::None,
    about: "The run's id, 0 to runs - 1, in design order (point by point, replicate by replicate).",
    old: "run",
};
pub const POINT: Measure = Measure {
    pattern: "point",
    unit: Unit::None,
    about: "The run's design point.",
    old: "point",
};
pub const REPLICATE: Measure = Measure {
    pattern: "replicate",
    unit: Unit::None,
    about: "The run's replicate at its design point, from 0.",
    old: "replicate",
};
pub const SEED: Measure = Measure {
    pattern: "seed",
    unit: Unit::None,
    about: "The run's seed, from the sweep's seed, point and replicate; at most 2^53 - 1, so R and JavaScript read it exactly. `chokepoint run BASE --seed SEED --set AXIS=VALUE ...` repeats the run.",
    old: "seed",
};
pub const STATUS: Measure = Measure {
    pattern: "status",
    unit: Unit::None,
    about: "`ok`, or `failed` (the run's outputs are then empty).",
    old: "status",
};
pub const MESSAGE: Measure = Measure {
    pattern: "message",
    unit: Unit::None,
    about: "Why a failed run failed (empty when ok).",
    old: "message",
};
pub const AXIS: Measure = Measure {
    pattern: "{axis}",
    unit: Unit::None,
    about: "The axis's value at the run's design point: Float64 for numbers, text for `Choices`. The column is the axis's path made to fit the naming rule (`negotiation.deadline_weeks` is `negotiation_deadline_weeks`).",
    old: "{axis}",
};

/// The columns every row of `runs.csv` starts with, before the axes and
/// the summary.
pub const FIXED: [(&Measure, ColumnType); 6] = [
    (&RUN, Int),
    (&POINT, Int),
    (&REPLICATE, Int),
    (&SEED, Int),
    (&STATUS, Text),
    (&MESSAGE, Text),
];

pub const SUMMARY_COLUMN: Measure = Measure {
    pattern: "column",
    unit: Unit::None,
    about: "The summary column of runs.csv the row describes; the statistics are in its unit.",
    old: "column",
};
pub const RUNS: Measure = Measure {
    pattern: "runs",
    unit: Unit::Count,
    about: "Ok runs of the point with a value in the column.",
    old: "n",
};
pub const FAILED_RUNS: Measure = Measure {
    pattern: "failed_runs",
    unit: Unit::Count,
    about: "Failed runs of the point.",
    old: "failed",
};

/// A statistic of a summary column over a point's runs, in that column's
/// unit (so its name carries none).
macro_rules! statistic {
    ($name:ident, $pattern:literal, $about:literal) => {
        pub const $name: Measure = Measure {
            pattern: $pattern,
            unit: Unit::None,
            about: $about,
            old: $pattern,
        };
    };
}
statistic!(
    MEAN,
    "mean",
    "Mean over the point's runs, in the unit of `column`."
);
statistic!(
    SD,
    "sd",
    "Standard deviation (n - 1) over the point's runs."
);
statistic!(
    CI95_LOW,
    "ci95_low",
    "Lower end of the 95 % confidence interval of the mean (t distribution)."
);
statistic!(
    CI95_HIGH,
    "ci95_high",
    "Upper end of the 95 % confidence interval of the mean."
);
statistic!(MEDIAN, "median", "Median over the point's runs.");
statistic!(Q05, "q05", "5 % quantile over the point's runs.");
statistic!(Q95, "q95", "95 % quantile over the point's runs.");

/// The statistics of `points.csv`, after `point`, the axes and `column`.
pub const POINT_STATISTICS: [(&Measure, ColumnType); 9] = [
    (&RUNS, Int),
    (&FAILED_RUNS, Int),
    (&MEAN, Float),
    (&SD, Float),
    (&CI95_LOW, Float),
    (&CI95_HIGH, Float),
    (&MEDIAN, Float),
    (&Q05, Float),
    (&Q95, Float),
];

/// The columns of `points.csv`, given the axis columns and their types.
pub fn points(axes: &[(String, ColumnType)]) -> Vec<Column> {
    let mut columns = vec![Column::fixed(&POINT, Int)];
    columns.extend(
        axes.iter()
            .map(|(a, t)| Column::new(&AXIS, *t, &[("axis", a)])),
    );
    columns.push(Column::fixed(&SUMMARY_COLUMN, Text));
    columns.extend(POINT_STATISTICS.iter().map(|(m, t)| Column::fixed(m, *t)));
    columns
}

pub const SOBOL_AXIS: Measure = Measure {
    pattern: "axis",
    unit: Unit::None,
    about: "The axis (its path in the sweep file) the indices are of.",
    old: "axis",
};
pub const FIRST: Measure = Measure {
    pattern: "first_order_index",
    unit: Unit::None,
    about: "First-order Sobol index of the axis for the column (Jansen's estimator on Saltelli's design): the share of the column's variance due to the axis alone. An estimate, with no unit: it may fall below 0 or above 1.",
    old: "first",
};
pub const FIRST_LOW: Measure = Measure {
    pattern: "first_order_ci95_low_index",
    unit: Unit::None,
    about: "Lower end of the bootstrap 95 % interval of the first-order index.",
    old: "first_ci95_low",
};
pub const FIRST_HIGH: Measure = Measure {
    pattern: "first_order_ci95_high_index",
    unit: Unit::None,
    about: "Upper end of the bootstrap 95 % interval of the first-order index.",
    old: "first_ci95_high",
};
pub const TOTAL: Measure = Measure {
    pattern: "total_order_index",
    unit: Unit::None,
    about: "Total-order Sobol index: the share of the variance due to the axis with all its interactions.",
    old: "total",
};
pub const TOTAL_LOW: Measure = Measure {
    pattern: "total_order_ci95_low_index",
    unit: Unit::None,
    about: "Lower end of the bootstrap 95 % interval of the total-order index.",
    old: "total_ci95_low",
};
pub const TOTAL_HIGH: Measure = Measure {
    pattern: "total_order_ci95_high_index",
    unit: Unit::None,
    about: "Upper end of the bootstrap 95 % interval of the total-order index.",
    old: "total_ci95_high",
};
pub const SOBOL_NOTE: Measure = Measure {
    pattern: "note",
    unit: Unit::None,
    about: "Why the indices are empty (a column with no variance, or without a value in every run).",
    old: "note",
};

pub const SOBOL_COLUMN: Measure = Measure {
    pattern: "column",
    unit: Unit::None,
    about: "The summary column of runs.csv the indices are of (its means over each design point's replicates).",
    old: "column",
};

/// The columns of `sobol.csv`: one row per (summary column, axis).
pub const SOBOL: [(&Measure, ColumnType); 9] = [
    (&SOBOL_COLUMN, Text),
    (&SOBOL_AXIS, Text),
    (&FIRST, Float),
    (&FIRST_LOW, Float),
    (&FIRST_HIGH, Float),
    (&TOTAL, Float),
    (&TOTAL_LOW, Float),
    (&TOTAL_HIGH, Float),
    (&SOBOL_NOTE, Text),
];

/// Declared columns of a list of measures with no placeholders.
pub fn fixed(list: &[(&'static Measure, ColumnType)]) -> Vec<Column> {
    list.iter().map(|(m, t)| Column::fixed(m, *t)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The constants that name fixed columns (for `match` and array use)
    /// are the declared names.
    #[test]
    fn constant_names_are_the_declared_names() {
        for (name, (m, _)) in super::super::FIXED_COLUMNS.iter().zip(&FIXED) {
            assert_eq!(*name, m.name(&[]));
        }
        let keys = super::super::series::KEYS;
        assert_eq!(
            keys[..3],
            [RUN.name(&[]), POINT.name(&[]), REPLICATE.name(&[])]
        );
        assert_eq!(keys[3], crate::metrics::WEEK.name(&[]));
        for (m, _) in POINT_STATISTICS.iter().chain(&SOBOL) {
            assert!(crate::schema::is_clean(&m.name(&[])), "{}", m.name(&[]));
        }
    }
}
