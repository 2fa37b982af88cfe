//! The memory and vCPU editor's plan: from what libvirt reports now (live and persistent) and
//! what the user asks for, which changes happen now and which at next boot, as driver steps.
//!
//! Everything is checked here, before any call: the current value within its maximum, a live
//! change within the running machine's maximum (which cannot change while it runs), the
//! persistent edit applicable to the definition. A live value above the live maximum is not
//! an error: it is planned for next boot and said so in [`ResourcePlan::notes`].
//!
//! ```
//! use hangar::details::resources::{ResourceState, Resources, plan_resources};
//! let running = Resources { memory_kib: 65536, max_memory_kib: 131072, vcpus: 1, max_vcpus: 2 };
//! let state = ResourceState { live: Some(running), config: Some(running), config_document: None };
//! let wanted = Resources { memory_kib: 98304, vcpus: 2, ..running };
//! let plan = plan_resources(&state, &wanted).unwrap();
//! assert_eq!(plan.now.len(), 2); // balloon and vCPUs change now…
//! assert_eq!(plan.next_boot.len(), 2); // …and are kept for next boot
//! ```

use crate::driver::DomainInfo;
use crate::driver::xml::{DomainXml, XmlDocument, XmlError};
use crate::i18n::{gettext, gettext_f, pgettext};
use crate::units::format_kib;

/// Memory (KiB) and vCPU counts, current and maximum.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Resources {
    pub memory_kib: u64,
    pub max_memory_kib: u64,
    pub vcpus: u32,
    pub max_vcpus: u32,
}

impl Resources {
    /// The live values libvirt reports for an active domain.
    pub fn live(info: &DomainInfo) -> Resources {
        Resources {
            memory_kib: info.memory_kib,
            max_memory_kib: info.max_memory_kib,
            vcpus: info.vcpus,
            max_vcpus: info.max_vcpus,
        }
    }

    /// The values of a definition (libvirt's defaults applied: current = maximum when absent).
    pub fn of_definition(domain: &DomainXml) -> Resources {
        let max_memory_kib = domain.memory.memory_kib.unwrap_or_default();
        let max_vcpus = domain.vcpu.maximum.unwrap_or(1);
        Resources {
            memory_kib: domain.memory.current_kib().unwrap_or(max_memory_kib),
            max_memory_kib,
            vcpus: domain.vcpu.current_or_maximum().unwrap_or(max_vcpus),
            max_vcpus,
        }
    }
}

/// What libvirt says about a domain's resources now.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ResourceState {
    /// The running machine's values (`None` when it is not active).
    pub live: Option<Resources>,
    /// The persistent definition's values (`None` for a transient domain).
    pub config: Option<Resources>,
    /// The persistent definition, to check its edit before anything is called (`None` skips
    /// that check; the edit is checked again on the fresh definition when applied).
    pub config_document: Option<XmlDocument>,
}

impl ResourceState {
    /// From the driver's facts and the persistent definition (see `Definition::load`).
    pub fn new(info: &DomainInfo, definition: Option<(&DomainXml, &XmlDocument)>) -> Self {
        let config = definition.filter(|_| info.persistent);
        ResourceState {
            live: info.state.is_active().then(|| Resources::live(info)),
            config: config.map(|(domain, _)| Resources::of_definition(domain)),
            config_document: config.map(|(_, document)| document.clone()),
        }
    }

    /// The editor's starting values: the current amounts as the machine has them now (live
    /// when running), the maxima as the next boot will have them (persistent when defined).
    pub fn form(&self) -> Resources {
        let base = self.live.or(self.config).unwrap_or_default();
        let maxima = self.config.or(self.live).unwrap_or_default();
        Resources {
            memory_kib: base.memory_kib,
            vcpus: base.vcpus,
            max_memory_kib: maxima.max_memory_kib,
            max_vcpus: maxima.max_vcpus,
        }
    }
}

/// Which value a change is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Field {
    Memory,
    MaxMemory,
    Vcpus,
    MaxVcpus,
}

impl Field {
    /// The value's name, as the plan lists it.
    pub fn label(self) -> String {
        match self {
            Field::Memory => gettext("Current memory"),
            Field::MaxMemory => gettext("Maximum memory"),
            Field::Vcpus => gettext("Current vCPUs"),
            Field::MaxVcpus => gettext("Maximum vCPUs"),
        }
    }

    fn format(self, value: u64) -> String {
        match self {
            Field::Memory | Field::MaxMemory => format_kib(value),
            Field::Vcpus | Field::MaxVcpus => value.to_string(),
        }
    }
}

/// One value changing from one amount to another.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Change {
    pub field: Field,
    pub from: u64,
    pub to: u64,
}

impl Change {
    /// "Current memory: 64 MiB → 96 MiB".
    pub fn describe(&self) -> String {
        gettext_f(
            "{what}: {from} → {to}",
            &[
                ("what", &self.field.label()),
                ("from", &self.field.format(self.from)),
                ("to", &self.field.format(self.to)),
            ],
        )
    }
}

/// One driver call of a plan, with what a rollback restores.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResourceStep {
    /// Defines the persistent definition with `target` (re-read and edited when applied).
    Config {
        target: Resources,
        previous: Resources,
    },
    /// `set_memory(uuid, kib, Scope::Live)`: the balloon target of the running machine.
    LiveMemory { kib: u64, previous: u64 },
    /// `set_vcpus(uuid, count, Scope::Live)`: vCPU hot-plug or unplug.
    LiveVcpus { count: u32, previous: u32 },
}

/// What applying the editor will do.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ResourcePlan {
    /// The calls in order: the persistent definition first (the hypervisor's limits are
    /// checked there, before the running machine is touched), then live changes.
    pub steps: Vec<ResourceStep>,
    /// Changes to the running machine.
    pub now: Vec<Change>,
    /// Changes to the persistent definition (at next boot, or at next start when off).
    pub next_boot: Vec<Change>,
    /// Sentences explaining why a change waits for the next boot.
    pub notes: Vec<String>,
}

impl ResourcePlan {
    pub fn is_empty(&self) -> bool {
        self.steps.is_empty()
    }

    /// What to say once the plan was applied to a machine that is `active` or not.
    pub fn outcome_text(&self, active: bool) -> String {
        let waits = self.next_boot.iter().any(|later| {
            !self
                .now
                .iter()
                .any(|now| now.field == later.field && now.to == later.to)
        });
        match (active, waits, self.now.is_empty()) {
            (false, _, _) => gettext("Saved. The machine uses the new values from its next start."),
            (true, true, _) => gettext("Applied. Some changes take effect at the next boot."),
            (true, false, false) if !self.next_boot.is_empty() => {
                gettext("Applied now, and kept for the next boot.")
            }
            _ => gettext("Applied."),
        }
    }
}

/// Why a request cannot be planned; nothing was called.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PlanError {
    /// The values contradict each other or what the machine allows; a translated sentence.
    #[error("{0}")]
    Invalid(String),
    /// The persistent definition cannot take the edit (e.g. memory split among NUMA cells).
    #[error("{0}")]
    Xml(#[from] XmlError),
}

/// Plans the change from `state` to `wanted` (the editor's values, see [`ResourceState::form`]).
pub fn plan_resources(
    state: &ResourceState,
    wanted: &Resources,
) -> Result<ResourcePlan, PlanError> {
    check_values(wanted)?;
    let shown = state.form();
    let mut plan = ResourcePlan::default();
    if let Some(config) = state.config {
        plan_config(state, config, &shown, wanted, &mut plan)?;
    } else if wanted.max_memory_kib != shown.max_memory_kib || wanted.max_vcpus != shown.max_vcpus {
        return Err(PlanError::Invalid(gettext(
            "The maxima of a running transient machine cannot change",
        )));
    }
    if let Some(live) = state.live {
        plan_live(state, live, &shown, wanted, &mut plan)?;
    }
    Ok(plan)
}

fn check_values(wanted: &Resources) -> Result<(), PlanError> {
    let invalid = |text: String| Err(PlanError::Invalid(text));
    if wanted.memory_kib == 0 || wanted.max_memory_kib == 0 {
        return invalid(gettext("Memory must be larger than zero"));
    }
    if wanted.memory_kib > wanted.max_memory_kib {
        return invalid(gettext_f(
            "The current memory ({current}) exceeds the maximum ({maximum})",
            &[
                ("current", &format_kib(wanted.memory_kib)),
                ("maximum", &format_kib(wanted.max_memory_kib)),
            ],
        ));
    }
    if wanted.vcpus == 0 || wanted.max_vcpus == 0 {
        return invalid(gettext("A machine needs at least one vCPU"));
    }
    if wanted.vcpus > wanted.max_vcpus {
        return invalid(gettext_f(
            "The current vCPU count ({current}) exceeds the maximum ({maximum})",
            &[
                ("current", &wanted.vcpus.to_string()),
                ("maximum", &wanted.max_vcpus.to_string()),
            ],
        ));
    }
    Ok(())
}

/// The persistent part: every value the user changed, plus current values clamped to lowered
/// maxima (libvirt would refuse a definition with current above maximum).
fn plan_config(
    state: &ResourceState,
    config: Resources,
    shown: &Resources,
    wanted: &Resources,
    plan: &mut ResourcePlan,
) -> Result<(), PlanError> {
    let pick = |changed: bool, wanted: u64, kept: u64, maximum: u64| {
        if changed { wanted } else { kept.min(maximum) }
    };
    let target = Resources {
        max_memory_kib: wanted.max_memory_kib,
        max_vcpus: wanted.max_vcpus,
        memory_kib: pick(
            wanted.memory_kib != shown.memory_kib,
            wanted.memory_kib,
            config.memory_kib,
            wanted.max_memory_kib,
        ),
        vcpus: pick(
            wanted.vcpus != shown.vcpus,
            u64::from(wanted.vcpus),
            u64::from(config.vcpus),
            u64::from(wanted.max_vcpus),
        ) as u32,
    };
    if target == config {
        return Ok(());
    }
    if let Some(document) = &state.config_document {
        document.edited(|doc| apply_to_document(doc, &target))?;
    }
    let pairs = [
        (Field::Memory, config.memory_kib, target.memory_kib),
        (
            Field::MaxMemory,
            config.max_memory_kib,
            target.max_memory_kib,
        ),
        (Field::Vcpus, config.vcpus.into(), target.vcpus.into()),
        (
            Field::MaxVcpus,
            config.max_vcpus.into(),
            target.max_vcpus.into(),
        ),
    ];
    plan.next_boot.extend(
        pairs
            .into_iter()
            .filter(|(_, from, to)| from != to)
            .map(|(field, from, to)| Change { field, from, to }),
    );
    plan.steps.push(ResourceStep::Config {
        target,
        previous: config,
    });
    Ok(())
}

/// The live part: the current values the user changed, if the running machine's maxima allow.
fn plan_live(
    state: &ResourceState,
    live: Resources,
    shown: &Resources,
    wanted: &Resources,
    plan: &mut ResourcePlan,
) -> Result<(), PlanError> {
    let transient = state.config.is_none();
    if wanted.memory_kib != shown.memory_kib {
        if wanted.memory_kib <= live.max_memory_kib {
            plan.steps.push(ResourceStep::LiveMemory {
                kib: wanted.memory_kib,
                previous: live.memory_kib,
            });
            plan.now.push(Change {
                field: Field::Memory,
                from: live.memory_kib,
                to: wanted.memory_kib,
            });
        } else if transient {
            return Err(PlanError::Invalid(beyond_live_memory(live)));
        } else {
            plan.notes.push(beyond_live_memory(live));
        }
    }
    if wanted.vcpus != shown.vcpus {
        if wanted.vcpus <= live.max_vcpus {
            plan.steps.push(ResourceStep::LiveVcpus {
                count: wanted.vcpus,
                previous: live.vcpus,
            });
            plan.now.push(Change {
                field: Field::Vcpus,
                from: live.vcpus.into(),
                to: wanted.vcpus.into(),
            });
        } else if transient {
            return Err(PlanError::Invalid(beyond_live_vcpus(live)));
        } else {
            plan.notes.push(beyond_live_vcpus(live));
        }
    }
    Ok(())
}

fn beyond_live_memory(live: Resources) -> String {
    gettext_f(
        "The running machine can use at most {maximum} until it restarts; the new memory size applies at next boot.",
        &[("maximum", &format_kib(live.max_memory_kib))],
    )
}

fn beyond_live_vcpus(live: Resources) -> String {
    gettext_f(
        "The running machine can have at most {maximum} vCPUs until it restarts; the new count applies at next boot.",
        &[("maximum", &live.max_vcpus.to_string())],
    )
}

/// Writes `target` into a definition (memory first: its checks need the new maximum).
pub fn apply_to_document(document: &mut XmlDocument, target: &Resources) -> Result<(), XmlError> {
    document.set_memory(target.memory_kib, target.max_memory_kib)?;
    document.set_vcpus(target.vcpus, target.max_vcpus)
}

/// The heading of the plan's two lists.
pub fn when_label(now: bool, active: bool) -> String {
    match (now, active) {
        (true, _) => pgettext("resource change", "Now"),
        (false, true) => pgettext("resource change", "At next boot"),
        (false, false) => pgettext("resource change", "At next start"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RUNNING: Resources = Resources {
        memory_kib: 65536,
        max_memory_kib: 131072,
        vcpus: 1,
        max_vcpus: 2,
    };

    fn running() -> ResourceState {
        ResourceState {
            live: Some(RUNNING),
            config: Some(RUNNING),
            config_document: None,
        }
    }

    #[test]
    fn nothing_changed_plans_nothing() {
        let state = running();
        let plan = plan_resources(&state, &state.form()).unwrap();
        assert!(plan.is_empty() && plan.now.is_empty() && plan.next_boot.is_empty());
    }

    #[test]
    fn current_values_change_now_and_persistently_maxima_at_next_boot() {
        let state = running();
        let wanted = Resources {
            memory_kib: 98304,
            max_memory_kib: 262144,
            vcpus: 2,
            max_vcpus: 4,
        };
        let plan = plan_resources(&state, &wanted).unwrap();
        assert_eq!(
            plan.steps,
            [
                ResourceStep::Config {
                    target: wanted,
                    previous: RUNNING
                },
                ResourceStep::LiveMemory {
                    kib: 98304,
                    previous: 65536
                },
                ResourceStep::LiveVcpus {
                    count: 2,
                    previous: 1
                },
            ]
        );
        assert_eq!(plan.now.len(), 2);
        assert_eq!(plan.next_boot.len(), 4);
        assert!(plan.notes.is_empty());
    }

    #[test]
    fn the_outcome_says_what_waits() {
        let state = running();
        let now_and_kept = plan_resources(
            &state,
            &Resources {
                vcpus: 2,
                ..RUNNING
            },
        )
        .unwrap();
        assert_eq!(
            now_and_kept.outcome_text(true),
            "Applied now, and kept for the next boot."
        );
        let later = plan_resources(
            &state,
            &Resources {
                max_vcpus: 4,
                ..RUNNING
            },
        )
        .unwrap();
        assert!(later.outcome_text(true).contains("next boot"));
        assert!(later.outcome_text(false).contains("next start"));
    }

    #[test]
    fn beyond_the_live_maximum_waits_for_next_boot() {
        let state = running();
        let wanted = Resources {
            memory_kib: 262144,
            max_memory_kib: 262144,
            vcpus: 4,
            max_vcpus: 4,
        };
        let plan = plan_resources(&state, &wanted).unwrap();
        assert!(plan.now.is_empty(), "{:?}", plan.now);
        assert_eq!(plan.steps.len(), 1, "only the persistent definition");
        assert_eq!(plan.notes.len(), 2);
    }

    #[test]
    fn contradictions_are_refused_before_any_call() {
        let state = running();
        for wanted in [
            Resources {
                memory_kib: 200_000,
                ..RUNNING
            },
            Resources {
                vcpus: 3,
                ..RUNNING
            },
            Resources {
                vcpus: 0,
                ..RUNNING
            },
            Resources {
                memory_kib: 0,
                ..RUNNING
            },
        ] {
            assert!(
                matches!(plan_resources(&state, &wanted), Err(PlanError::Invalid(_))),
                "{wanted:?}"
            );
        }
    }

    #[test]
    fn lowering_a_maximum_clamps_the_persistent_current_value() {
        let config = Resources {
            memory_kib: 131072,
            max_memory_kib: 131072,
            vcpus: 4,
            max_vcpus: 4,
        };
        let state = ResourceState {
            live: None,
            config: Some(config),
            config_document: None,
        };
        let wanted = Resources {
            memory_kib: 65536,
            max_memory_kib: 65536,
            vcpus: 2,
            max_vcpus: 2,
        };
        let plan = plan_resources(&state, &wanted).unwrap();
        assert!(plan.now.is_empty());
        assert_eq!(
            plan.steps,
            [ResourceStep::Config {
                target: wanted,
                previous: config
            }]
        );
    }

    #[test]
    fn transient_machines_change_live_only() {
        let state = ResourceState {
            live: Some(RUNNING),
            config: None,
            config_document: None,
        };
        let plan = plan_resources(
            &state,
            &Resources {
                vcpus: 2,
                ..RUNNING
            },
        )
        .unwrap();
        assert_eq!(
            plan.steps,
            [ResourceStep::LiveVcpus {
                count: 2,
                previous: 1
            }]
        );
        let raise_max = Resources {
            max_vcpus: 8,
            ..RUNNING
        };
        assert!(plan_resources(&state, &raise_max).is_err());
    }

    #[test]
    fn the_definition_is_checked_before_planning() {
        let xml = "<domain><name>n</name><memory>4194304</memory><cpu><numa>\
                   <cell id='0' cpus='0' memory='2097152'/><cell id='1' cpus='1' memory='2097152'/>\
                   </numa></cpu><vcpu>2</vcpu></domain>";
        let document = XmlDocument::parse(xml).unwrap();
        let domain = DomainXml::from_document(&document).unwrap();
        let config = Resources::of_definition(&domain);
        let state = ResourceState {
            live: None,
            config: Some(config),
            config_document: Some(document),
        };
        let wanted = Resources {
            memory_kib: 2097152,
            max_memory_kib: 2097152,
            ..config
        };
        assert!(matches!(
            plan_resources(&state, &wanted),
            Err(PlanError::Xml(XmlError::Unsupported { .. }))
        ));
    }
}
