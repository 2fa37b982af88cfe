//! The boot options editor: the boot order as a list of entries to enable and move, in the
//! form the domain already uses (per-device `<boot order>` or `<os><boot dev>`), convertible
//! to per-device order the way virt-manager writes it. The result is a [`BootOrder`] for
//! [`XmlDocument::set_boot_order`](crate::driver::xml::XmlDocument::set_boot_order).
//!
//! ```
//! use hangar::details::boot::BootEditor;
//! use hangar::driver::xml::{BootDevice, BootOrder, DomainXml};
//! let domain = DomainXml::parse("<domain><name>n</name><os><boot dev='hd'/></os></domain>")?;
//! let mut editor = BootEditor::new(&domain);
//! let cdrom = editor.entries().iter().position(|e| e.label == "CD-ROM").unwrap();
//! editor.set_enabled(cdrom, true);
//! editor.move_up(cdrom);
//! assert_eq!(editor.order(), BootOrder::Os(vec![BootDevice::Cdrom, BootDevice::HardDisk]));
//! # Ok::<(), hangar::driver::xml::XmlError>(())
//! ```

use crate::driver::xml::{BootDevice, BootOrder, DeviceKind, DomainXml};
use crate::i18n::{gettext, gettext_f};

/// What one entry of the list boots from.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum BootKey {
    /// A device, by its index in the domain's device list.
    Device(usize),
    /// A device type of the `<os>` form.
    Os(BootDevice),
}

/// One line of the boot list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BootEntry {
    pub key: BootKey,
    pub label: String,
    pub icon: &'static str,
    pub enabled: bool,
}

/// The editor's state: entries in order, enabled ones boot in that order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BootEditor {
    entries: Vec<BootEntry>,
    /// Whether the entries are devices (per-device order) rather than `<os>` device types.
    per_device: bool,
    /// The order the domain has, to tell whether anything changed.
    original: BootOrder,
}

/// The `<os>` device types, in the order the list offers disabled ones.
const OS_DEVICES: [BootDevice; 4] = [
    BootDevice::HardDisk,
    BootDevice::Cdrom,
    BootDevice::Network,
    BootDevice::Floppy,
];

/// A boot device type in words ("Hard disk", "Network (PXE)").
pub fn os_label(device: &BootDevice) -> String {
    match device {
        BootDevice::HardDisk => gettext("Hard disk"),
        BootDevice::Cdrom => gettext("CD-ROM"),
        BootDevice::Network => gettext("Network (PXE)"),
        BootDevice::Floppy => gettext("Floppy"),
        BootDevice::Other(other) => gettext_f("Unknown (“{dev}”)", &[("dev", other)]),
    }
}

fn os_icon(device: &BootDevice) -> &'static str {
    match device {
        BootDevice::HardDisk => "drive-harddisk-symbolic",
        BootDevice::Cdrom => "media-optical-symbolic",
        BootDevice::Network => "network-wired-symbolic",
        BootDevice::Floppy => "media-floppy-symbolic",
        BootDevice::Other(_) => "dialog-question-symbolic",
    }
}

/// Which `<os>` boot type a bootable device stands for (for converting to per-device order).
fn os_type_of(kind: &DeviceKind) -> Option<BootDevice> {
    match kind {
        DeviceKind::Disk(disk) => match disk.device_or_default() {
            "cdrom" => Some(BootDevice::Cdrom),
            "floppy" => Some(BootDevice::Floppy),
            _ => Some(BootDevice::HardDisk),
        },
        DeviceKind::Interface(_) => Some(BootDevice::Network),
        _ => None,
    }
}

impl BootEditor {
    /// The editor for `domain`'s current boot order.
    pub fn new(domain: &DomainXml) -> BootEditor {
        let original = domain.boot_order();
        let entries = match &original {
            BootOrder::Devices(order) => device_entries(domain, order),
            BootOrder::Os(order) => {
                let mut entries: Vec<BootEntry> = order
                    .iter()
                    .map(|device| BootEntry {
                        key: BootKey::Os(device.clone()),
                        label: os_label(device),
                        icon: os_icon(device),
                        enabled: true,
                    })
                    .collect();
                for device in OS_DEVICES.iter().filter(|d| !order.contains(d)) {
                    entries.push(BootEntry {
                        key: BootKey::Os(device.clone()),
                        label: os_label(device),
                        icon: os_icon(device),
                        enabled: false,
                    });
                }
                entries
            }
        };
        BootEditor {
            entries,
            per_device: matches!(original, BootOrder::Devices(_)),
            original,
        }
    }

    pub fn entries(&self) -> &[BootEntry] {
        &self.entries
    }

    /// Whether the list holds devices (per-device order) rather than device types.
    pub fn is_per_device(&self) -> bool {
        self.per_device
    }

    /// Swaps entry `index` with the one above; false at the top or out of range.
    pub fn move_up(&mut self, index: usize) -> bool {
        if index == 0 || index >= self.entries.len() {
            return false;
        }
        self.entries.swap(index - 1, index);
        true
    }

    /// Swaps entry `index` with the one below; false at the bottom or out of range.
    pub fn move_down(&mut self, index: usize) -> bool {
        if index + 1 >= self.entries.len() {
            return false;
        }
        self.entries.swap(index, index + 1);
        true
    }

    pub fn set_enabled(&mut self, index: usize, enabled: bool) {
        if let Some(entry) = self.entries.get_mut(index) {
            entry.enabled = enabled;
        }
    }

    /// The order the list describes.
    pub fn order(&self) -> BootOrder {
        let enabled = self.entries.iter().filter(|entry| entry.enabled);
        if self.is_per_device() {
            BootOrder::Devices(
                enabled
                    .filter_map(|entry| match entry.key {
                        BootKey::Device(index) => Some(index),
                        BootKey::Os(_) => None,
                    })
                    .collect(),
            )
        } else {
            BootOrder::Os(
                enabled
                    .filter_map(|entry| match &entry.key {
                        BootKey::Os(device) => Some(device.clone()),
                        BootKey::Device(_) => None,
                    })
                    .collect(),
            )
        }
    }

    /// Whether the list differs from the domain's order.
    pub fn is_changed(&self) -> bool {
        self.order() != self.original
    }

    /// Switches an `<os>`-form list to the domain's bootable devices, keeping the meaning:
    /// each enabled type becomes the first device of that type, in the same order (as
    /// virt-manager converts). Does nothing if the list is per-device already.
    pub fn use_device_order(&mut self, domain: &DomainXml) {
        if self.is_per_device() {
            return;
        }
        let mut order = Vec::new();
        for entry in self.entries.iter().filter(|entry| entry.enabled) {
            let BootKey::Os(wanted) = &entry.key else {
                continue;
            };
            let first = domain.devices.iter().find(|device| {
                device.can_boot()
                    && os_type_of(&device.kind).as_ref() == Some(wanted)
                    && !order.contains(&device.index)
            });
            if let Some(device) = first {
                order.push(device.index);
            }
        }
        self.entries = device_entries(domain, &order);
        self.per_device = true;
    }
}

/// Every bootable device of `domain`: those in `order` first (enabled, in that order), then the
/// rest (disabled, in device order).
fn device_entries(domain: &DomainXml, order: &[usize]) -> Vec<BootEntry> {
    let bootable: Vec<_> = domain.devices.iter().filter(|d| d.can_boot()).collect();
    let entry = |device: &crate::driver::xml::Device, enabled| BootEntry {
        key: BootKey::Device(device.index),
        label: device.label(),
        icon: super::hardware::device_icon(&device.kind),
        enabled,
    };
    let mut entries: Vec<BootEntry> = order
        .iter()
        .filter_map(|index| bootable.iter().find(|d| d.index == *index))
        .map(|device| entry(device, true))
        .collect();
    entries.extend(
        bootable
            .iter()
            .filter(|device| !order.contains(&device.index))
            .map(|device| entry(device, false)),
    );
    entries
}

#[cfg(test)]
mod tests {
    use super::*;

    fn domain(xml: &str) -> DomainXml {
        DomainXml::parse(xml).unwrap()
    }

    const DEVICES: &str = "<domain><name>n</name><devices>\
        <disk device='disk'><target dev='vda'/><boot order='2'/></disk>\
        <disk device='cdrom'><target dev='sda'/><boot order='1'/></disk>\
        <interface type='user'><mac address='52:54:00:00:00:01'/></interface>\
        <video/></devices></domain>";

    #[test]
    fn per_device_order_lists_bootable_devices() {
        let domain = domain(DEVICES);
        let mut editor = BootEditor::new(&domain);
        let keys: Vec<_> = editor.entries().iter().map(|e| e.key.clone()).collect();
        assert_eq!(
            keys,
            [BootKey::Device(1), BootKey::Device(0), BootKey::Device(2)]
        );
        assert!(!editor.is_changed());
        editor.set_enabled(2, true);
        assert!(editor.move_up(2));
        assert!(!editor.move_up(0));
        assert!(!editor.move_down(2));
        assert_eq!(editor.order(), BootOrder::Devices(vec![1, 2, 0]));
        assert!(editor.is_changed());
    }

    #[test]
    fn os_order_offers_every_type() {
        let domain =
            domain("<domain><name>n</name><os><boot dev='network'/><boot dev='hd'/></os></domain>");
        let mut editor = BootEditor::new(&domain);
        assert_eq!(editor.entries().len(), 4);
        assert!(!editor.is_per_device());
        assert_eq!(
            editor.order(),
            BootOrder::Os(vec![BootDevice::Network, BootDevice::HardDisk])
        );
        editor.set_enabled(0, false);
        assert_eq!(editor.order(), BootOrder::Os(vec![BootDevice::HardDisk]));
    }

    #[test]
    fn conversion_keeps_the_meaning() {
        let domain = domain(
            "<domain><name>n</name><os><boot dev='cdrom'/><boot dev='hd'/></os><devices>\
             <disk device='disk'><target dev='vda'/></disk>\
             <disk device='cdrom'><target dev='sda'/></disk>\
             <interface type='user'/></devices></domain>",
        );
        let mut editor = BootEditor::new(&domain);
        editor.use_device_order(&domain);
        assert!(editor.is_per_device());
        assert_eq!(editor.order(), BootOrder::Devices(vec![1, 0]));
        assert_eq!(editor.entries().len(), 3);
        assert!(editor.is_changed());
    }
}
