//! Which column of a data branch holds which quantity, found by meaning.
//!
//! A branch's `types` are OpenRocket's *localized* display names of its `FlightDataType`s:
//! the same column is `Altitude`, `Höhe`, `Altitud`, `Высота`… depending on the language the
//! simulation ran in, and names changed between releases. [`identify`] looks a name up in
//! every name OpenRocket has shipped for the quantities we keep (`names.rs`), compared
//! case-insensitively with white space collapsed. A column it does not know is ignored.
//!
//! A few position names changed meaning in 2021 (`TYPE_POSITION_X` was "upwind", now "East of
//! launch"; ja, ru and zh_CN swapped their X and Y texts): those are resolved by the release
//! that wrote the file ([`NameEra`], from `<openrocket creator>`), and ignored when it is
//! unknown.

use super::names::{Column, BY_ERA, NAMES};
use crate::model::Quantity;

/// Lower case, white space trimmed and collapsed to single spaces.
pub fn normalize(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for word in name.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        for c in word.chars() {
            out.extend(c.to_lowercase());
        }
    }
    out
}

/// Which names a file's OpenRocket release used for the position columns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameEra {
    /// OpenRocket 15.03 and before (and the 20.11 alphas).
    Before2021,
    /// OpenRocket 22.02 and after.
    Since2022,
}

impl NameEra {
    /// From the `creator` attribute: `OpenRocket 15.03`, `OpenRocket 1.1.6pre`,
    /// `OpenRocket 22.02.beta.05`, `OpenRocket 20-11-alpha-15`, … `None` when it is not an
    /// OpenRocket release number.
    pub fn of_creator(creator: &str) -> Option<NameEra> {
        let version = creator.trim().strip_prefix("OpenRocket")?.trim_start();
        let major: String = version.chars().take_while(char::is_ascii_digit).collect();
        let major: u32 = major.parse().ok()?;
        Some(if major >= 22 {
            NameEra::Since2022
        } else {
            NameEra::Before2021
        })
    }
}

/// The quantity a column name stands for, in any language and release of OpenRocket; the
/// position names whose meaning changed need the file's [`NameEra`].
pub fn identify(name: &str, era: Option<NameEra>) -> Option<Column> {
    let key = normalize(name);
    if let Ok(i) = NAMES.binary_search_by(|(n, _)| (*n).cmp(key.as_str())) {
        return Some(NAMES[i].1);
    }
    let i = BY_ERA
        .binary_search_by(|(n, _, _)| (*n).cmp(key.as_str()))
        .ok()?;
    match era? {
        NameEra::Before2021 => BY_ERA[i].1,
        NameEra::Since2022 => BY_ERA[i].2,
    }
}

/// Slot of a column in a decoded row: time, or one quantity.
const IGNORE: u8 = u8::MAX;
const TIME: u8 = u8::MAX - 1;

/// The columns of one branch, mapped once, for decoding its rows.
#[derive(Debug, Clone)]
pub struct ColumnPlan {
    /// Per column: [`TIME`], a quantity's index, or [`IGNORE`]; only up to the last column
    /// that is kept.
    slots: Vec<u8>,
    /// Number of columns the branch declares.
    pub columns: usize,
    /// Column of the time, when there is one.
    pub time: Option<usize>,
    /// Which quantities the branch has.
    pub present: [bool; Quantity::ALL.len()],
}

impl ColumnPlan {
    /// Maps a branch's column names. The first column of a kind wins; OpenRocket writes time
    /// first, so an unnamed first column is taken as time when no other is.
    pub fn new<'a>(names: impl IntoIterator<Item = &'a str>, era: Option<NameEra>) -> ColumnPlan {
        let mut slots = Vec::new();
        let mut time = None;
        let mut present = [false; Quantity::ALL.len()];
        for (i, name) in names.into_iter().enumerate() {
            let slot = match identify(name, era) {
                Some(Column::Time) if time.is_none() => {
                    time = Some(i);
                    TIME
                }
                Some(Column::Value(q)) if !present[q.index()] => {
                    present[q.index()] = true;
                    q.index() as u8
                }
                _ => IGNORE,
            };
            slots.push(slot);
        }
        let columns = slots.len();
        if time.is_none() && columns > 0 && slots[0] == IGNORE {
            slots[0] = TIME;
            time = Some(0);
        }
        while slots.last() == Some(&IGNORE) {
            slots.pop();
        }
        ColumnPlan {
            slots,
            columns,
            time,
            present,
        }
    }

    /// Whether the branch has a time column and at least one quantity.
    pub fn is_useful(&self) -> bool {
        self.time.is_some() && self.present.iter().any(|&p| p)
    }

    /// The columns kept, in column order: (column, raw slot code). The decoder jumps from one
    /// to the next without looking at the columns between.
    pub(crate) fn wanted(&self) -> impl Iterator<Item = (usize, u8)> + '_ {
        self.slots
            .iter()
            .enumerate()
            .filter(|(_, &s)| s != IGNORE)
            .map(|(i, &s)| (i, s))
    }

    /// What column `i` holds (`None` past the last kept column).
    #[inline]
    pub fn slot(&self, i: usize) -> Option<Column> {
        match self.slots.get(i).copied() {
            Some(TIME) => Some(Column::Time),
            Some(IGNORE) | None => None,
            Some(q) => Some(Column::Value(Quantity::ALL[q as usize])),
        }
    }
}

/// The slot code of the time column in [`ColumnPlan::wanted`].
pub(crate) const TIME_SLOT: u8 = TIME;

#[cfg(test)]
mod tests {
    use super::*;

    fn check(name: &str, expected: Option<Column>) {
        assert_eq!(identify(name, None), expected, "{name:?}");
    }

    #[test]
    fn names_in_several_languages_and_releases() {
        use Quantity::*;
        for (name, expected) in [
            ("Time", Some(Column::Time)),
            ("Zeit", Some(Column::Time)),
            ("  ALTITUDE ", Some(Column::Value(Altitude))),
            ("Höhe", Some(Column::Value(Altitude))),
            ("Vertical velocity", Some(Column::Value(VerticalVelocity))),
            (
                "Vertikalgeschwindigkeit",
                Some(Column::Value(VerticalVelocity)),
            ),
            ("Total velocity", Some(Column::Value(TotalVelocity))),
            (
                "Vertical acceleration",
                Some(Column::Value(VerticalAcceleration)),
            ),
            ("Total acceleration", Some(Column::Value(TotalAcceleration))),
            ("Mach number", Some(Column::Value(Mach))),
            ("Thrust", Some(Column::Value(Thrust))),
            ("Stability margin calibers", Some(Column::Value(Stability))),
            ("Lateral distance", Some(Column::Value(LateralDistance))),
            ("Position East of launch", Some(Column::Value(PositionEast))),
            ("Position upwind", None),
            ("Высота", Some(Column::Value(Altitude))),
            ("Temps", Some(Column::Time)),
            (
                "Aceleraci\u{fffd}n total",
                Some(Column::Value(TotalAcceleration)),
            ),
            (
                "Position North of launch",
                Some(Column::Value(PositionNorth)),
            ),
            (
                "Position parallel to wind",
                Some(Column::Value(PositionNorth)),
            ),
            ("Altitude above sea level", None),
            ("Drag coefficient", None),
            ("My custom expression", None),
            ("", None),
        ] {
            check(name, expected);
        }
    }

    #[test]
    fn position_names_follow_the_release_that_wrote_them() {
        use NameEra::*;
        use Quantity::*;
        for (creator, era) in [
            ("OpenRocket 1.1.6pre", Some(Before2021)),
            ("OpenRocket 15.03", Some(Before2021)),
            ("OpenRocket 20-11-alpha-15", Some(Before2021)),
            ("OpenRocket 22.02.beta.05", Some(Since2022)),
            ("OpenRocket 24.12", Some(Since2022)),
            ("RockSim 9", None),
            ("OpenRocket", None),
        ] {
            assert_eq!(NameEra::of_creator(creator), era, "{creator}");
        }
        for (name, era, expected) in [
            ("Position upwind", Some(Before2021), Some(PositionEast)),
            ("Position upwind", Some(Since2022), Some(PositionNorth)),
            ("Положение по ветру", Some(Before2021), Some(PositionNorth)),
            ("Положение по ветру", Some(Since2022), Some(PositionEast)),
            ("風上方向位置", None, None),
        ] {
            assert_eq!(
                identify(name, era),
                expected.map(Column::Value),
                "{name} {era:?}"
            );
        }
    }

    #[test]
    fn plan_maps_first_of_each_kind_and_trims_the_tail() {
        let plan = ColumnPlan::new(
            ["Time", "Altitude", "Drag force", "Höhe", "Mach number", "x"],
            None,
        );
        assert_eq!(plan.columns, 6);
        assert_eq!(plan.time, Some(0));
        assert_eq!(plan.wanted().count(), 3);
        assert_eq!(plan.slot(5), None);
        assert_eq!(plan.slot(1), Some(Column::Value(Quantity::Altitude)));
        assert_eq!(plan.slot(2), None);
        assert_eq!(plan.slot(3), None, "a second altitude column is ignored");
        assert_eq!(plan.slot(4), Some(Column::Value(Quantity::Mach)));
        assert!(plan.is_useful());
        let unknown = ColumnPlan::new(["t", "a"], None);
        assert_eq!(
            unknown.time,
            Some(0),
            "time is the first column when none is named"
        );
        assert!(!unknown.is_useful());
    }
}
