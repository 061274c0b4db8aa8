//! What nulls do: the [`NullPolicy`] enum and, in one place, every consequence a policy
//! has for a scan (what a null contributes, which outputs are null, what happens to null
//! rows of an N-dimensional column). The kernels and the Arrow layer ask these methods
//! instead of matching on the policy themselves. No Arrow type appears here.

use crate::options::named_values;

named_values! {
    /// What a null input does to the output and to the running value.
    ///
    /// For the input `[1, null, 2]` with `cumsum`:
    ///
    /// | policy      | output            | like                                        |
    /// |-------------|-------------------|---------------------------------------------|
    /// | `Skip`      | `[1, null, 3]`    | Polars, pandas, pyarrow `skip_nulls=True`   |
    /// | `Propagate` | `[1, null, null]` | pyarrow's default `skip_nulls=False`        |
    /// | `Carry`     | `[1, 1, 3]`       | SQL `sum(x) OVER (... ROWS UNBOUNDED PRECEDING)` |
    /// | `Identity`  | `[1, 1, 3]`       | `np.nancumsum` (a null counts as 0, or 1 for products) |
    ///
    /// `Carry` and `Identity` differ before the first value: `[null, 1]` gives
    /// `[null, 1]` under `Carry` and `[0, 1]` under `Identity`. Under `Identity` a null
    /// counts as the identity of the operation: 0 for sums, 1 for products, the lowest value
    /// (`-inf` for floats) for `cummax` and the highest (`+inf`) for `cummin`.
    ///
    /// Values stored under null slots never reach a result. The text form (`FromStr`,
    /// `Display`, [`NullPolicy::name`]) is the lower-case name, read in any case:
    ///
    /// ```
    /// use cumulus::NullPolicy;
    /// assert_eq!("Carry".parse::<NullPolicy>()?, NullPolicy::Carry);
    /// assert_eq!(NullPolicy::accepted(), "skip, propagate, carry, identity");
    /// assert!("ignore".parse::<NullPolicy>().is_err());
    /// # Ok::<(), cumulus::Error>(())
    /// ```
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
    pub enum NullPolicy as "nulls" {
        /// A null gives a null; the running value carries on past it.
        #[default]
        Skip = "skip",
        /// From the first null on, every output is null.
        Propagate = "propagate",
        /// A null gives the running value; null only before the first value.
        Carry = "carry",
        /// A null counts as the identity of the operation; no output is null.
        Identity = "identity",
    }
}

/// Where the validity of a scan's output elements comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum OutputNulls {
    /// The input's: a null element stays null (Skip).
    Input,
    /// The scan decides it element by element (Carry, Propagate): see [`Lane::admit`].
    Written,
    /// No output is null (Identity).
    None,
}

impl NullPolicy {
    /// Where the output's element validity comes from.
    pub(crate) const fn output_nulls(self) -> OutputNulls {
        match self {
            NullPolicy::Skip => OutputNulls::Input,
            NullPolicy::Carry | NullPolicy::Propagate => OutputNulls::Written,
            NullPolicy::Identity => OutputNulls::None,
        }
    }

    /// Whether a null element counts as the operation's identity (0, 1, -inf, +inf)
    /// rather than as the value that leaves the running value unchanged.
    pub(crate) const fn null_is_identity(self) -> bool {
        matches!(self, NullPolicy::Identity)
    }

    /// Whether a null row (a null list of an N-dimensional column) stays null in the
    /// output. Under Carry and Identity the row holds running values instead.
    pub(crate) const fn keeps_null_rows(self) -> bool {
        matches!(self, NullPolicy::Skip | NullPolicy::Propagate)
    }

    /// Whether an output element can be null where the input element is valid: under
    /// Propagate after a null, under Carry before the first value of its lane (a lane
    /// that starts in null rows).
    pub(crate) const fn can_add_nulls(self) -> bool {
        matches!(self.output_nulls(), OutputNulls::Written)
    }

    /// Whether an output column of this policy can hold a null row or element at all,
    /// given whether the input can.
    pub(crate) const fn output_nullable(self, input_nullable: bool) -> bool {
        match self.output_nulls() {
            OutputNulls::None => false,
            OutputNulls::Input | OutputNulls::Written => input_nullable,
        }
    }
}

/// The null bookkeeping of one lane (one running value): whether a value was seen
/// (Carry's output turns valid there) and whether a null was seen (Propagate's output
/// turns null there). O(1); carried from chunk to chunk with the running value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Lane {
    /// A valid element was seen.
    pub seen: bool,
    /// A null element was seen.
    pub poisoned: bool,
}

/// What one element does under a policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Admit {
    /// The element itself joins the running value; otherwise its stand-in does (the
    /// identity under Identity, the value that changes nothing otherwise).
    pub contributes: bool,
    /// The element's output is valid.
    pub output_valid: bool,
}

impl Lane {
    /// The transition of the lane at an element that is valid or not, and what the
    /// element does. The kernel applies this rule element by element where lanes
    /// interleave, and to whole runs of a block at once where they do not (Carry: valid
    /// from the first valid element on; Propagate: live until the first null).
    #[inline(always)]
    pub fn admit(&mut self, policy: NullPolicy, valid: bool) -> Admit {
        match policy {
            NullPolicy::Skip => Admit {
                contributes: valid,
                output_valid: valid,
            },
            NullPolicy::Identity => Admit {
                contributes: valid,
                output_valid: true,
            },
            NullPolicy::Carry => {
                self.seen |= valid;
                Admit {
                    contributes: valid,
                    output_valid: self.seen,
                }
            }
            NullPolicy::Propagate => {
                self.poisoned |= !valid;
                Admit {
                    contributes: !self.poisoned,
                    output_valid: !self.poisoned,
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The documented table, `cumsum([1, null, 2])`, through [`Lane::admit`].
    #[test]
    fn admit_gives_the_documented_table() {
        let run = |policy: NullPolicy, validity: &[bool]| -> Vec<Option<i32>> {
            let values = [1, 0, 2];
            let mut lane = Lane::default();
            let mut acc = 0;
            validity
                .iter()
                .zip(values)
                .map(|(&valid, x)| {
                    let admit = lane.admit(policy, valid);
                    if admit.contributes {
                        acc += x;
                    }
                    admit.output_valid.then_some(acc)
                })
                .collect()
        };
        let v = [true, false, true];
        assert_eq!(run(NullPolicy::Skip, &v), [Some(1), None, Some(3)]);
        assert_eq!(run(NullPolicy::Propagate, &v), [Some(1), None, None]);
        assert_eq!(run(NullPolicy::Carry, &v), [Some(1), Some(1), Some(3)]);
        assert_eq!(run(NullPolicy::Identity, &v), [Some(1), Some(1), Some(3)]);
        let leading = [false, true, true];
        assert_eq!(run(NullPolicy::Carry, &leading)[0], None);
        assert_eq!(run(NullPolicy::Identity, &leading)[0], Some(0));
    }

    #[test]
    fn names_round_trip() {
        for policy in NullPolicy::ALL {
            assert_eq!(policy.name().parse::<NullPolicy>().unwrap(), policy);
        }
        let err = "sometimes".parse::<NullPolicy>().unwrap_err().to_string();
        assert_eq!(
            err,
            "invalid value 'sometimes' for option nulls; accepted: skip, propagate, carry, identity"
        );
    }
}
