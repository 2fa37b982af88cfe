//! Removing a device: from the persistent definition (an edited definition, defined back), and
//! from the running machine where the hypervisor can hot-unplug it. The plan is made from the
//! definition the user looked at; applying checks that it is still the one libvirt has.

use crate::driver::xml::{DeviceKind, XmlError};
use crate::i18n::{gettext, gettext_f};

use super::definition::Definition;

/// What removing one device will do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemovalPlan {
    /// The device's label ("Disk vda").
    pub label: String,
    /// The device's element name (`disk`, `video`, …).
    pub element: String,
    /// The definition the plan was made from (applying refuses if libvirt's differs).
    pub base_xml: String,
    /// The definition without the device (`None` for a transient machine: nothing persists).
    pub new_xml: Option<String>,
    /// The device's complete XML, for `virDomainDetachDeviceFlags` on the running machine
    /// (`None` when it is not running).
    pub live_xml: Option<String>,
}

/// Plans removing device `index` of `definition`, for a machine that is `active` (running or
/// paused) and `persistent` or not.
pub fn plan_removal(
    definition: &Definition,
    index: usize,
    active: bool,
    persistent: bool,
) -> Result<RemovalPlan, XmlError> {
    let device = definition
        .domain
        .devices
        .get(index)
        .ok_or(XmlError::NoSuchDevice {
            index,
            count: definition.domain.devices.len(),
        })?;
    if matches!(device.kind, DeviceKind::Emulator(_)) {
        return Err(XmlError::Unsupported {
            reason: gettext("The emulator is not a device that can be removed"),
        });
    }
    if persistent && !definition.secure {
        return Err(XmlError::Unsupported {
            reason: gettext(
                "This connection may not read the machine’s passwords, so its definition cannot be saved without losing them",
            ),
        });
    }
    let mut document = definition.document.clone();
    let live_xml = document.device_xml(index);
    let new_xml = if persistent {
        document.remove_device(device)?;
        Some(document.to_xml_string())
    } else {
        None
    };
    Ok(RemovalPlan {
        label: device.label(),
        element: device.element.clone(),
        base_xml: definition.xml.clone(),
        new_xml,
        live_xml: live_xml.filter(|_| active),
    })
}

impl RemovalPlan {
    /// The confirmation's explanation.
    pub fn explain(&self) -> String {
        match (&self.new_xml, &self.live_xml) {
            (Some(_), Some(_)) => gettext(
                "It is removed from the machine’s definition, and unplugged from the running machine if the hypervisor supports hot-unplug; otherwise it goes at the next boot.",
            ),
            (Some(_), None) => gettext("It is removed from the machine’s definition."),
            (None, _) => gettext(
                "The machine is transient: the device is unplugged from the running machine if the hypervisor supports it.",
            ),
        }
    }
}

/// How a removal ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemovalOutcome {
    pub live: LiveRemoval,
    /// Libvirt put a default device of the same kind back into the definition (it does so for
    /// e.g. the video device of a machine with graphics, or the memory balloon).
    pub readded: bool,
}

impl RemovalOutcome {
    /// What to tell the user after the removal of `label`.
    pub fn describe(&self, label: &str) -> String {
        let text = self.live.describe(label);
        if self.readded {
            gettext_f(
                "{text} Libvirt added a default device of the same kind back, because the machine needs one.",
                &[("text", &text)],
            )
        } else {
            text
        }
    }
}

/// How a removal ended for the running machine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LiveRemoval {
    /// Not running: nothing to unplug.
    NotRunning,
    /// The hypervisor accepted the unplug request.
    Unplugged,
    /// The hypervisor cannot unplug it now; libvirt's message. The persistent removal stands
    /// and takes effect at next boot.
    Failed(String),
}

impl LiveRemoval {
    /// What to tell the user after the removal of `label`.
    pub fn describe(&self, label: &str) -> String {
        match self {
            LiveRemoval::NotRunning => gettext_f("{device} was removed.", &[("device", label)]),
            LiveRemoval::Unplugged => gettext_f(
                "{device} was removed and unplugged from the running machine.",
                &[("device", label)],
            ),
            LiveRemoval::Failed(message) => gettext_f(
                "{device} was removed from the definition; the running machine keeps it until its next boot ({message}).",
                &[("device", label), ("message", message)],
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const XML: &str = "<domain><name>n</name><uuid>6f1c2a0e-8d4b-4c3e-9a57-2b7d1e0f3c91</uuid>\
        <devices><emulator>/usr/bin/qemu</emulator>\
        <graphics type='vnc' passwd='pw'/><video/></devices></domain>";

    #[test]
    fn removal_edits_the_definition_and_keeps_the_device_xml_for_unplug() {
        let definition = Definition::parse(XML.into(), true).unwrap();
        let plan = plan_removal(&definition, 1, true, true).unwrap();
        let new_xml = plan.new_xml.as_deref().unwrap();
        assert!(!new_xml.contains("<graphics") && new_xml.contains("<video"));
        // The unplug request needs the real device, password included.
        assert!(plan.live_xml.as_deref().unwrap().contains("passwd='pw'"));
        assert_eq!(plan.label, "Graphics (VNC)");
        let off = plan_removal(&definition, 2, false, true).unwrap();
        assert!(off.live_xml.is_none());
    }

    #[test]
    fn refusals() {
        let definition = Definition::parse(XML.into(), true).unwrap();
        assert!(
            plan_removal(&definition, 0, false, true).is_err(),
            "emulator"
        );
        assert!(
            plan_removal(&definition, 9, false, true).is_err(),
            "no such device"
        );
        let insecure = Definition::parse(XML.into(), false).unwrap();
        assert!(plan_removal(&insecure, 2, false, true).is_err());
        // A transient machine has no definition to save: unplug only.
        let transient = plan_removal(&insecure, 2, true, false).unwrap();
        assert!(transient.new_xml.is_none() && transient.live_xml.is_some());
    }
}
