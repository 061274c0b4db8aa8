//! Session defaults for the options: `SET cumulus.nulls = 'skip'` (and `cumulus.dtype`,
//! `cumulus.overflow`, `cumulus.axis`, `cumulus.reverse`), stored as a DataFusion config
//! extension and read by the planner when a query is planned.
//!
//! DataFusion 55 hands an [`ExprPlanner`](datafusion::logical_expr::planner::ExprPlanner)
//! only the call (`RawWindowExpr`, `RawAggregateExpr`): no session, no configuration
//! (the SQL planner's `ContextProvider::options()` has them, but does not pass them on).
//! [`super::register`] therefore gives its planner a weak handle on the context's state,
//! and the planner reads the extension from the context's *current* configuration, which
//! is where `SET` writes. Config extensions must not share mutable state (DataFusion's
//! rule for `ExtensionOptions::cloned`), and this one does not: it holds plain values.
//!
//! What follows from reading the context rather than the planning state: a
//! `SessionState` cloned from the context and then configured on its own
//! (`state.config_mut()`) still plans with the context's settings, and a context made
//! from another context's state (`SessionContext::new_with_state(ctx.state())`) reads
//! the first context's settings until `register` is called on it.

use std::any::Any;
use std::fmt;
use std::sync::Arc;

use datafusion::common::config::{ConfigEntry, ConfigExtension, ExtensionOptions};
use datafusion::common::{DataFusionError, Result, config_err};
use datafusion::execution::session_state::SessionState;
use datafusion::prelude::SessionContext;

use super::options::sql_defaults;
use crate::{ScanOption, ScanOptions};

/// The values `SET cumulus.<option> = '<value>'` gives, over [`sql_defaults`].
#[derive(Debug, Clone)]
pub(crate) struct SessionDefaults {
    options: ScanOptions,
}

impl Default for SessionDefaults {
    fn default() -> Self {
        SessionDefaults {
            options: sql_defaults(),
        }
    }
}

impl ConfigExtension for SessionDefaults {
    const PREFIX: &'static str = "cumulus";
}

/// The text that sets an option back to SQL's default (`RESET` does not reach config
/// extensions in DataFusion 55).
const RESET_WORDS: [&str; 2] = ["default", "null"];

impl ExtensionOptions for SessionDefaults {
    fn as_any(&self) -> &dyn Any {
        self
    }

    fn as_any_mut(&mut self) -> &mut dyn Any {
        self
    }

    fn cloned(&self) -> Box<dyn ExtensionOptions> {
        Box::new(self.clone())
    }

    fn set(&mut self, key: &str, value: &str) -> Result<()> {
        let Some(option) = ScanOption::ALL
            .into_iter()
            .find(|o| o.name().eq_ignore_ascii_case(key))
        else {
            let keys: Vec<String> = ScanOption::ALL
                .iter()
                .map(|o| format!("{}.{o}", Self::PREFIX))
                .collect();
            return config_err!(
                "{}.{key} is not a cumulus option; accepted: {}",
                Self::PREFIX,
                keys.join(", ")
            );
        };
        let value = value.trim();
        let configuration_error = |e: crate::Error| {
            DataFusionError::External(Box::new(e)).context("Invalid or Unsupported Configuration")
        };
        if value.is_empty() || RESET_WORDS.iter().any(|w| w.eq_ignore_ascii_case(value)) {
            match option.value_text(&sql_defaults()) {
                Some(text) => option
                    .set_from_text(&mut self.options, &text)
                    .map_err(configuration_error)?,
                None => self.options.dtype = None,
            }
            return Ok(());
        }
        option
            .set_from_text(&mut self.options, value)
            .map_err(configuration_error)
    }

    fn entries(&self) -> Vec<ConfigEntry> {
        ScanOption::ALL
            .into_iter()
            .map(|option| ConfigEntry {
                key: format!("{}.{option}", Self::PREFIX),
                value: option.value_text(&self.options),
                description: option.summary(),
            })
            .collect()
    }
}

/// Adds the `cumulus.*` settings to a session's configuration, unless they are there
/// (registering again keeps what `SET` gave).
pub(crate) fn install(state: &mut SessionState) {
    let options = state.config_mut().options_mut();
    if options.extensions.get::<SessionDefaults>().is_none() {
        options.extensions.insert(SessionDefaults::default());
    }
}

/// Reads a context's session defaults.
#[derive(Clone)]
pub(crate) struct SessionLink(Arc<dyn Fn() -> Option<ScanOptions> + Send + Sync>);

impl SessionLink {
    /// A link to `ctx`'s state. The handle is weak: the planner, which the state holds,
    /// does not keep the state alive.
    pub(crate) fn new(ctx: &SessionContext) -> Self {
        let state = ctx.state_weak_ref();
        SessionLink(Arc::new(move || {
            let state = state.upgrade()?;
            // Recursive: a caller planning on the context's state under its read lock
            // (`ctx.state_ref().read().create_logical_plan(..)`) does not deadlock with a
            // writer waiting in between.
            let state = state.read_recursive();
            state
                .config()
                .options()
                .extensions
                .get::<SessionDefaults>()
                .map(|d| d.options.clone())
        }))
    }

    /// The context's defaults, or `None` when the context is gone or has no settings.
    pub(crate) fn defaults(&self) -> Option<ScanOptions> {
        (self.0)()
    }
}

impl fmt::Debug for SessionLink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SessionLink")
    }
}
