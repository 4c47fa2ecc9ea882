//! The declared output schema: every column of every output file, with its
//! name, type, unit and meaning, declared once.
//!
//! A column's name follows one rule: its subject (who or what it measures:
//! `US_autos`, `CN_ndfeb_magnets_to_US`), then the measure (`lost_output`),
//! then the unit (`units`), joined by `_`; every character outside
//! `[A-Za-z0-9_]` in a name from the scenario becomes `_`. Identifiers and
//! text columns (`week`, `date`, `events`) carry no unit.
//!
//! The weekly time series and the summary are declared by the plugins that
//! produce them (`Plugin::columns`): each declaration names a [`Measure`],
//! the names that fill its pattern, and the function that reads the value
//! from the world, so a column's name, type and value are one line of code.
//! [`Schema::of`] gives them from the validated scenario alone, without a
//! world: a sweep learns its columns, the report finds the columns it
//! draws, and `docs/OUTPUTS.md` is written from the same declarations. The
//! fixed tables (transcript, terms, a sweep's runs, points and sobol) are
//! declared as constants beside the code that writes them.

use crate::config::ValidScenario;
use crate::metrics::{Cell, ColumnType, Typed};
use crate::model::*;
use bevy_ecs::prelude::*;

/// The unit of a column: the last part of its name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// An identifier, a label or free text: no unit in the name.
    None,
    /// Kilograms of material.
    Kg,
    /// Kilograms of material per week.
    KgPerWeek,
    /// Units of a sector's product (vehicles, aircraft, components, ...).
    Units,
    /// Units of a sector's product per week (a capacity).
    UnitsPerWeek,
    /// US dollars.
    Usd,
    /// US dollars per unit of material (per kg).
    UsdPerKg,
    /// A share, 0 to 1.
    Share,
    /// A score from 0 to 1 with no physical unit (pressure, trust, utility).
    Index,
    /// A restriction level, 0 (none) to 1 (full).
    Level,
    /// Restriction levels summed over agreements (may exceed 1).
    LevelSum,
    /// A probability, 0 to 1.
    Probability,
    /// Rises of a probability summed over agreements (may exceed 1).
    ProbabilitySum,
    /// A duration in weeks.
    Weeks,
    /// A week of the run, counted from 0.
    Week,
    /// A number of things or events.
    Count,
    /// 0 (no) or 1 (yes).
    Flag,
}

impl Unit {
    /// The last part of a column's name (`""` for `None`).
    pub const fn suffix(self) -> &'static str {
        match self {
            Unit::None => "",
            Unit::Kg => "kg",
            Unit::KgPerWeek => "kg_per_week",
            Unit::Units => "units",
            Unit::UnitsPerWeek => "units_per_week",
            Unit::Usd => "usd",
            Unit::UsdPerKg => "usd_per_kg",
            Unit::Share => "share",
            Unit::Index => "index",
            Unit::Level => "level",
            Unit::LevelSum => "level_sum",
            Unit::Probability => "probability",
            Unit::ProbabilitySum => "probability_sum",
            Unit::Weeks => "weeks",
            Unit::Week => "week",
            Unit::Count => "count",
            Unit::Flag => "flag",
        }
    }

    /// What the unit is, for `docs/OUTPUTS.md`.
    pub const fn meaning(self) -> &'static str {
        match self {
            Unit::None => "identifier or text",
            Unit::Kg => "kg of material",
            Unit::KgPerWeek => "kg of material per week",
            Unit::Units => "units of the sector's product",
            Unit::UnitsPerWeek => "units of the sector's product per week",
            Unit::Usd => "US dollars",
            Unit::UsdPerKg => "US dollars per kg of material",
            Unit::Share => "share, 0 to 1",
            Unit::Index => "score, 0 to 1",
            Unit::Level => "restriction level, 0 to 1",
            Unit::LevelSum => "restriction levels summed over agreements (may exceed 1)",
            Unit::Probability => "probability, 0 to 1",
            Unit::ProbabilitySum => "rises of a probability summed over agreements (may exceed 1)",
            Unit::Weeks => "weeks (a duration)",
            Unit::Week => "week of the run, from 0",
            Unit::Count => "count",
            Unit::Flag => "0 or 1",
        }
    }

    /// Whether every value of the unit is in 0..1.
    pub const fn is_bounded(self) -> bool {
        matches!(
            self,
            Unit::Share | Unit::Index | Unit::Level | Unit::Probability | Unit::Flag
        )
    }

    /// Every unit, in the order `docs/OUTPUTS.md` lists them.
    pub const ALL: [Unit; 17] = [
        Unit::None,
        Unit::Kg,
        Unit::KgPerWeek,
        Unit::Units,
        Unit::UnitsPerWeek,
        Unit::Usd,
        Unit::UsdPerKg,
        Unit::Share,
        Unit::Index,
        Unit::Level,
        Unit::LevelSum,
        Unit::Probability,
        Unit::ProbabilitySum,
        Unit::Weeks,
        Unit::Week,
        Unit::Count,
        Unit::Flag,
    ];
}

/// A kind of column: a pattern of subject and measure, whose `{placeholders}`
/// the scenario's names fill, and a unit. `US_autos_lost_output_units` is
/// `{state}_{sector}_lost_output` with `state = US`, `sector = autos`, in
/// units.
#[derive(Debug, PartialEq, Eq)]
pub struct Measure {
    pub pattern: &'static str,
    pub unit: Unit,
    /// One line: what the column holds.
    pub about: &'static str,
    /// The column's name before the naming rule (chokepoint 0.1), with the
    /// same placeholders, filled as written: what an old sweep file's
    /// `series:` or `sensitivity:` may still name.
    pub old: &'static str,
}

impl Measure {
    /// The column's name with `args` (placeholder, value) filled in.
    pub fn name(&self, args: &[(&str, &str)]) -> String {
        let subject = fill(self.pattern, args, true);
        match (subject.is_empty(), self.unit.suffix()) {
            (_, "") => subject,
            (true, unit) => unit.to_string(),
            (false, unit) => format!("{subject}_{unit}"),
        }
    }

    /// The name the column had before the naming rule.
    pub fn old_name(&self, args: &[(&str, &str)]) -> String {
        fill(self.old, args, false)
    }

    /// Whether `name` is a column of this measure: the name pattern with
    /// each placeholder standing for one or more characters.
    pub fn matches(&self, name: &str) -> bool {
        matches_pattern(&self.name_pattern(), name)
    }

    /// Whether `name` is a column of this measure as named before the
    /// naming rule.
    pub fn matches_old(&self, name: &str) -> bool {
        matches_pattern(self.old, name)
    }

    /// The name pattern with its unit: `{state}_{sector}_lost_output_units`.
    pub fn name_pattern(&self) -> String {
        match (self.pattern.is_empty(), self.unit.suffix()) {
            (_, "") => self.pattern.to_string(),
            (true, unit) => unit.to_string(),
            (false, unit) => format!("{}_{unit}", self.pattern),
        }
    }
}

/// Whether `name` is `pattern` with each `{placeholder}` standing for one
/// or more characters.
fn matches_pattern(pattern: &str, name: &str) -> bool {
    let mut pieces = Vec::new();
    let mut rest = pattern;
    while let Some(open) = rest.find('{') {
        pieces.push(&rest[..open]);
        rest = rest[open..]
            .find('}')
            .map_or("", |close| &rest[open + close + 1..]);
    }
    pieces.push(rest);
    let Some((first, others)) = pieces.split_first() else {
        return false;
    };
    let Some(mut tail) = name.strip_prefix(first) else {
        return false;
    };
    let Some((last, middle)) = others.split_last() else {
        return tail.is_empty();
    };
    for piece in middle {
        match tail.get(1..).and_then(|t| t.find(piece)) {
            Some(at) => tail = &tail[1 + at + piece.len()..],
            None => return false,
        }
    }
    tail.len() > last.len() && tail.ends_with(last)
}

/// `pattern` with each `{key}` replaced by its value (made to fit
/// `[A-Za-z0-9_]` when `clean`).
fn fill(pattern: &str, args: &[(&str, &str)], clean: bool) -> String {
    let mut out = pattern.to_string();
    for (key, value) in args {
        let value = if clean {
            sanitize(value)
        } else {
            value.to_string()
        };
        out = out.replace(&format!("{{{key}}}"), &value);
    }
    out
}

/// `text` with every character outside `[A-Za-z0-9_]` replaced by `_`.
pub fn sanitize(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// Whether `name` follows the character rule.
pub fn is_clean(name: &str) -> bool {
    !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// A declared column.
#[derive(Debug, Clone)]
pub struct Column {
    pub name: String,
    pub ty: ColumnType,
    pub measure: &'static Measure,
    /// The names that fill its pattern (placeholder, value).
    pub args: Vec<(&'static str, String)>,
}

impl Column {
    pub fn new(measure: &'static Measure, ty: ColumnType, args: &[(&'static str, &str)]) -> Self {
        Column {
            name: measure.name(args),
            ty,
            measure,
            args: args.iter().map(|(k, v)| (*k, v.to_string())).collect(),
        }
    }

    /// A column with no placeholders.
    pub fn fixed(measure: &'static Measure, ty: ColumnType) -> Self {
        Column::new(measure, ty, &[])
    }

    /// Its name before the naming rule.
    pub fn old_name(&self) -> String {
        let args: Vec<(&str, &str)> = self.args.iter().map(|(k, v)| (*k, v.as_str())).collect();
        self.measure.old_name(&args)
    }

    /// The value of placeholder `key`.
    pub fn arg(&self, key: &str) -> Option<&str> {
        self.args
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| v.as_str())
    }
}

/// An empty table with the names and types of `columns`.
pub fn table(columns: &[Column]) -> crate::metrics::Table {
    crate::metrics::Table {
        columns: columns.iter().map(|c| c.name.clone()).collect(),
        types: columns.iter().map(|c| c.ty).collect(),
        rows: Vec::new(),
    }
}

type Getter = Box<dyn Fn(&World) -> Cell + Send + Sync>;

/// The columns of a table the world's state gives (time series, summary):
/// each with the function that reads its value.
#[derive(Default)]
pub struct Columns {
    pub columns: Vec<Column>,
    get: Vec<Getter>,
}

impl Columns {
    /// Declares a column of `measure` with `args`, whose value `get` reads
    /// from the world; its type is that of `get`'s value.
    pub fn add<T: Typed + Into<Cell>>(
        &mut self,
        measure: &'static Measure,
        args: &[(&'static str, &str)],
        get: impl Fn(&World) -> T + Send + Sync + 'static,
    ) {
        self.columns.push(Column::new(measure, T::TYPE, args));
        self.get.push(Box::new(move |w| get(w).into()));
    }

    /// This table's row now.
    pub fn row(&self, world: &World) -> Vec<Cell> {
        self.get.iter().map(|g| g(world)).collect()
    }

    pub fn names(&self) -> Vec<String> {
        self.columns.iter().map(|c| c.name.clone()).collect()
    }

    /// The columns of `measure`, in order.
    pub fn of<'a>(&'a self, measure: &'static Measure) -> impl Iterator<Item = &'a Column> + 'a {
        self.columns
            .iter()
            .filter(move |c| std::ptr::eq(c.measure, measure) || c.measure == measure)
    }

    /// The column named `name`.
    pub fn get(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name == name)
    }

    /// The column whose name before the naming rule was `old` (and is no
    /// longer), for an error that names the new one.
    pub fn renamed(&self, old: &str) -> Option<&Column> {
        self.columns
            .iter()
            .find(|c| c.name != old && c.old_name() == old)
    }

    /// What to say of `name`, which is not a column here: its new name if
    /// it is an old one, else the columns there are.
    pub fn unknown(&self, name: &str, file: &str, known: &[&str]) -> String {
        match self.renamed(name) {
            Some(c) => format!(
                "`{name}` is now called `{}` (the naming rule of docs/OUTPUTS.md)",
                c.name
            ),
            None => format!(
                "`{name}` is not a column of {file}; known: {}",
                known.join(", ")
            ),
        }
    }

    /// An empty table with these columns and types.
    pub fn table(&self) -> crate::metrics::Table {
        table(&self.columns)
    }
}

impl std::fmt::Debug for Columns {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.columns.iter().map(|c| &c.name))
            .finish()
    }
}

/// The columns of `timeseries.csv` and `summary.csv` of a scenario.
#[derive(Resource, Debug, Default)]
pub struct Schema {
    pub timeseries: Columns,
    pub summary: Columns,
    /// What the columns are made of (the build finds its policy entities
    /// and spawns its tracks from it).
    pub layout: Layout,
}

impl Schema {
    /// The schema of a scenario's runs: the metrics' keys, then each
    /// plugin's columns in tick order.
    pub fn of(scenario: &ValidScenario) -> Schema {
        let layout = Layout::of(scenario);
        let mut schema = Schema::default();
        crate::metrics::keys(&layout, &mut schema);
        for plugin in crate::systems::PLUGINS {
            (plugin.columns)(&layout, &mut schema);
        }
        schema.layout = layout;
        schema
    }

    /// Names given to two columns of one table (scenario names that differ
    /// only in characters outside `[A-Za-z0-9_]`).
    pub fn clashes(&self) -> Vec<String> {
        let mut clashes = Vec::new();
        for t in [&self.timeseries, &self.summary] {
            let mut seen = std::collections::HashSet::new();
            for c in &t.columns {
                if !seen.insert(&c.name) {
                    clashes.push(c.name.clone());
                }
            }
        }
        clashes
    }
}

/// `N` (placeholder, value) pairs that fill a measure's pattern.
pub type Args<'a, const N: usize> = [(&'static str, &'a str); N];

/// What a scenario's columns are made of: its names and the policy
/// entities a run spawns, in the order the columns list them. Known from
/// the validated scenario alone; [`Policies`] finds the entities.
#[derive(Debug, Clone, Default)]
pub struct Layout {
    pub registry: Registry,
    /// (owner, material) of each export control, state by state.
    pub controls: Vec<(StateIx, MaterialIx)>,
    /// (id, owner, sector, target) of each technology restriction.
    pub restrictions: Vec<(u32, StateIx, String, StateIx)>,
    /// (owner, name) of each substitution programme.
    pub programs: Vec<(StateIx, String)>,
    /// (supplier, consumer, material) of each negotiation track, in id order.
    pub tracks: Vec<(StateIx, StateIx, MaterialIx)>,
    /// (owner, name) of each maker.
    pub makers: Vec<(StateIx, String)>,
}

impl Layout {
    pub fn of(s: &ValidScenario) -> Layout {
        let registry = s.registry();
        let mut layout = Layout {
            controls: Vec::new(),
            restrictions: Vec::new(),
            programs: Vec::new(),
            tracks: Vec::new(),
            makers: Vec::new(),
            registry,
        };
        for (ix, st) in s.states.iter().enumerate() {
            let ix = ix as StateIx;
            for c in &st.export_controls {
                layout.controls.push((ix, c.material));
            }
            for r in &st.tech_restrictions {
                layout
                    .restrictions
                    .push((r.id, r.owner, r.sector.clone(), r.target));
            }
            for p in &st.substitution {
                layout.programs.push((ix, p.name.clone()));
            }
            for m in &st.makers {
                layout.makers.push((ix, m.name.clone()));
            }
        }
        let r = &layout.registry;
        for (m, info) in r.materials.iter().enumerate() {
            if !s.controlled[m] {
                continue;
            }
            for c in 0..r.states.len() {
                if r.negotiable[m][c] {
                    layout
                        .tracks
                        .push((info.supplier, c as StateIx, m as MaterialIx));
                }
            }
        }
        layout
    }

    pub fn state(&self, ix: StateIx) -> &str {
        &self.registry.states[ix as usize]
    }

    pub fn material(&self, ix: MaterialIx) -> &str {
        &self.registry.materials[ix as usize].id
    }

    /// Every (state, material), with its `state` and `material` names.
    pub fn states_and_materials(&self) -> Vec<(usize, usize, Args<'_, 2>)> {
        let (ns, nm) = (self.registry.states.len(), self.registry.materials.len());
        (0..ns)
            .flat_map(|s| (0..nm).map(move |m| (s, m)))
            .map(|(s, m)| {
                let args = [
                    ("state", self.state(s as StateIx)),
                    ("material", self.material(m as MaterialIx)),
                ];
                (s, m, args)
            })
            .collect()
    }

    /// The `state`, `sector` and `target` names of restriction `i`.
    pub fn restriction_args(&self, i: usize) -> Args<'_, 3> {
        let (_, owner, sector, target) = &self.restrictions[i];
        [
            ("state", self.state(*owner)),
            ("sector", sector.as_str()),
            ("target", self.state(*target)),
        ]
    }
}

/// The policy entities of a run, in [`Layout`] order: what the columns'
/// functions read.
#[derive(Resource, Debug, Clone, Default)]
pub struct Policies {
    /// By state index.
    pub agents: Vec<Entity>,
    pub controls: Vec<Entity>,
    pub restrictions: Vec<Entity>,
    pub programs: Vec<Entity>,
    pub tracks: Vec<Entity>,
    pub makers: Vec<Entity>,
}

impl Policies {
    /// Finds the entities of `layout` in `world` (after the tracks are
    /// spawned).
    pub fn find(world: &mut World, layout: &Layout) -> Policies {
        fn place<K: PartialEq>(keys: &[K], found: Vec<(K, Entity)>, what: &str) -> Vec<Entity> {
            keys.iter()
                .map(|k| {
                    found
                        .iter()
                        .find(|(f, _)| f == k)
                        .map(|(_, e)| *e)
                        .unwrap_or_else(|| panic!("every {what} of the layout is spawned"))
                })
                .collect()
        }
        let agents: Vec<_> = world
            .query::<(Entity, &StateAgent)>()
            .iter(world)
            .map(|(e, a)| (a.ix, e))
            .collect();
        let controls: Vec<_> = world
            .query::<(Entity, &ExportControl)>()
            .iter(world)
            .map(|(e, c)| ((c.owner, c.material), e))
            .collect();
        let restrictions: Vec<_> = world
            .query::<(Entity, &TechRestriction)>()
            .iter(world)
            .map(|(e, r)| (r.id, e))
            .collect();
        let programs: Vec<_> = world
            .query::<(Entity, &SubstitutionProgram)>()
            .iter(world)
            .map(|(e, p)| ((p.owner, p.name.clone()), e))
            .collect();
        let tracks: Vec<_> = world
            .query::<(Entity, &Track)>()
            .iter(world)
            .map(|(e, t)| ((t.supplier, t.consumer, t.material), e))
            .collect();
        let makers: Vec<_> = world
            .query::<(Entity, &Maker)>()
            .iter(world)
            .map(|(e, m)| ((m.owner, m.name.clone()), e))
            .collect();
        let states: Vec<StateIx> = (0..layout.registry.states.len() as StateIx).collect();
        let restriction_ids: Vec<u32> = layout.restrictions.iter().map(|r| r.0).collect();
        Policies {
            agents: place(&states, agents, "state"),
            controls: place(&layout.controls, controls, "export control"),
            restrictions: place(&restriction_ids, restrictions, "restriction"),
            programs: place(&layout.programs, programs, "substitution programme"),
            tracks: place(&layout.tracks, tracks, "track"),
            makers: place(&layout.makers, makers, "maker"),
        }
    }
}

/// Component `T` of a policy entity.
fn component<T: Component>(world: &World, entity: Entity) -> &T {
    world
        .get::<T>(entity)
        .expect("a policy entity keeps its components")
}

/// Component `T` (`Pressure`, `Trust`) of state `s`.
pub fn agent<T: Component>(world: &World, s: usize) -> &T {
    component(world, world.resource::<Policies>().agents[s])
}

/// The `i`-th export control of the layout.
pub fn control(world: &World, i: usize) -> &ExportControl {
    component(world, world.resource::<Policies>().controls[i])
}

/// The `i`-th technology restriction of the layout.
pub fn restriction(world: &World, i: usize) -> &TechRestriction {
    component(world, world.resource::<Policies>().restrictions[i])
}

/// The `i`-th substitution programme of the layout.
pub fn programme(world: &World, i: usize) -> &SubstitutionProgram {
    component(world, world.resource::<Policies>().programs[i])
}

/// The `i`-th maker of the layout.
pub fn maker(world: &World, i: usize) -> &Maker {
    component(world, world.resource::<Policies>().makers[i])
}

/// The `i`-th track of the layout.
pub fn track(world: &World, i: usize) -> &Track {
    component(world, world.resource::<Policies>().tracks[i])
}
