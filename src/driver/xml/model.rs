//! The typed read model of a domain: what the overview, details and boot pages show. It is
//! built from the lossless tree, leniently: anything unknown is ignored, anything missing or
//! unreadable is `None`, and only a wrong root or a missing `<name>` is an error.

use serde::Serialize;

use super::devices::{Device, DeviceKind, read_devices};
use super::error::XmlError;
use super::tree::{Element, XmlDocument};
use super::units::parse_kib;

/// A domain as Hangar shows it. Built by [`DomainXml::parse`] or [`DomainXml::from_document`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DomainXml {
    /// The hypervisor type: `kvm`, `qemu`, `xen`, `test`, …
    pub domain_type: Option<String>,
    /// The run-time id of a running domain (`<domain id='3'>`).
    pub id: Option<i64>,
    pub name: String,
    pub uuid: Option<String>,
    pub title: Option<String>,
    pub description: Option<String>,
    pub memory: Memory,
    pub vcpu: Vcpu,
    pub os: Os,
    /// The children of `<features>`, in document order.
    pub features: Vec<Feature>,
    pub lifecycle: Lifecycle,
    /// `<devices><emulator>`, also listed among the devices.
    pub emulator: Option<String>,
    /// Every child element of `<devices>`, in document order.
    pub devices: Vec<Device>,
}

/// Memory sizes, all in KiB whatever unit the XML used.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Memory {
    /// `<memory>`: the maximum allocation at boot.
    pub memory_kib: Option<u64>,
    /// `<currentMemory>`: the current (balloon) allocation; libvirt defaults it to `memory`.
    pub current_memory_kib: Option<u64>,
    /// `<maxMemory>`: the memory hot-plug ceiling, with its number of slots.
    pub max_memory_kib: Option<u64>,
    pub max_memory_slots: Option<u32>,
}

impl Memory {
    /// The current allocation, falling back to the maximum as libvirt does.
    pub fn current_kib(&self) -> Option<u64> {
        self.current_memory_kib.or(self.memory_kib)
    }
}

/// Virtual CPU counts.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Vcpu {
    /// The maximum number of vCPUs (the element's text).
    pub maximum: Option<u32>,
    /// The number online at boot when lower than the maximum (`current='…'`).
    pub current: Option<u32>,
    /// `static` or `auto`.
    pub placement: Option<String>,
    pub cpuset: Option<String>,
}

impl Vcpu {
    /// The vCPUs online at boot: `current` if given, else the maximum.
    pub fn current_or_maximum(&self) -> Option<u32> {
        self.current.or(self.maximum)
    }
}

/// Firmware family of a guest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Firmware {
    Bios,
    Uefi,
}

/// `<os><loader>`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Loader {
    pub path: Option<String>,
    pub readonly: Option<bool>,
    pub secure: Option<bool>,
    /// `rom` or `pflash`.
    pub loader_type: Option<String>,
}

/// A `<boot dev='…'/>` entry.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub enum BootDevice {
    HardDisk,
    Cdrom,
    Floppy,
    Network,
    /// A value this model does not know, kept as written.
    Other(String),
}

impl BootDevice {
    /// From the `dev` attribute value.
    pub fn from_attribute(value: &str) -> BootDevice {
        match value {
            "hd" => BootDevice::HardDisk,
            "cdrom" => BootDevice::Cdrom,
            "fd" => BootDevice::Floppy,
            "network" => BootDevice::Network,
            other => BootDevice::Other(other.to_owned()),
        }
    }

    /// The `dev` attribute value.
    pub fn as_attribute(&self) -> &str {
        match self {
            BootDevice::HardDisk => "hd",
            BootDevice::Cdrom => "cdrom",
            BootDevice::Floppy => "fd",
            BootDevice::Network => "network",
            BootDevice::Other(other) => other,
        }
    }
}

/// The `<os>` section.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Os {
    /// `hvm`, `linux` (Xen PV), `exe` (containers), …
    pub os_type: Option<String>,
    pub arch: Option<String>,
    pub machine: Option<String>,
    /// The `firmware='efi|bios'` attribute as written.
    pub firmware_attribute: Option<String>,
    pub loader: Option<Loader>,
    /// The NVRAM (UEFI variable store) path.
    pub nvram: Option<String>,
    /// `<boot dev=…>` entries in order.
    pub boot_devices: Vec<BootDevice>,
    pub boot_menu: Option<bool>,
    pub kernel: Option<String>,
    pub initrd: Option<String>,
    pub cmdline: Option<String>,
}

impl Os {
    /// BIOS or UEFI: the `firmware` attribute when present, else UEFI when the loader is a
    /// pflash image or a well-known UEFI build, else BIOS.
    pub fn firmware(&self) -> Firmware {
        match self.firmware_attribute.as_deref() {
            Some("efi") => return Firmware::Uefi,
            Some("bios") => return Firmware::Bios,
            _ => {}
        }
        let Some(loader) = &self.loader else {
            return Firmware::Bios;
        };
        let path = loader
            .path
            .as_deref()
            .unwrap_or_default()
            .to_ascii_lowercase();
        let uefi_build = ["ovmf", "edk2", "aavmf", "qemu_efi", "uefi"]
            .iter()
            .any(|name| path.contains(name));
        if loader.loader_type.as_deref() == Some("pflash") || uefi_build {
            Firmware::Uefi
        } else {
            Firmware::Bios
        }
    }
}

/// One child of `<features>`, e.g. `acpi`, or `vmport` with `state='off'`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Feature {
    pub name: String,
    pub state: Option<String>,
}

/// What the hypervisor does when the guest powers off, reboots or crashes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Lifecycle {
    pub on_poweroff: Option<String>,
    pub on_reboot: Option<String>,
    pub on_crash: Option<String>,
}

/// Where the guest boots from, as the boot options page shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum BootOrder {
    /// Per-device `<boot order='n'/>`: device indices sorted by their order.
    Devices(Vec<usize>),
    /// `<os><boot dev=…/>` entries (empty means the hypervisor default, the first disk).
    Os(Vec<BootDevice>),
}

impl DomainXml {
    /// Parses domain XML (as `virDomainGetXMLDesc` returns it).
    pub fn parse(xml: &str) -> Result<DomainXml, XmlError> {
        DomainXml::from_document(&XmlDocument::parse(xml)?)
    }

    /// Reads the model from an already parsed document (device indices then match the
    /// document's, for edits such as [`XmlDocument::remove_device`]).
    pub fn from_document(document: &XmlDocument) -> Result<DomainXml, XmlError> {
        let root = domain_root(document)?;
        let name = root
            .child_text("name")
            .ok_or_else(|| XmlError::MissingElement {
                element: "name".into(),
            })?;
        let devices = root.child("devices").map(read_devices).unwrap_or_default();
        let emulator = devices.iter().find_map(|device| match &device.kind {
            DeviceKind::Emulator(path) => path.clone(),
            _ => None,
        });
        Ok(DomainXml {
            domain_type: attr(root, "type"),
            id: attr(root, "id").and_then(|id| id.trim().parse().ok()),
            name,
            uuid: root.child_text("uuid"),
            title: root.child_text("title"),
            // The description keeps its inner line breaks; only the ends are trimmed.
            description: root.child_text("description"),
            memory: read_memory(root),
            vcpu: read_vcpu(root),
            os: root.child("os").map(read_os).unwrap_or_default(),
            features: root
                .child("features")
                .map(|features| {
                    features
                        .elements()
                        .map(|feature| Feature {
                            name: feature.name().to_owned(),
                            state: attr(feature, "state"),
                        })
                        .collect()
                })
                .unwrap_or_default(),
            lifecycle: Lifecycle {
                on_poweroff: root.child_text("on_poweroff"),
                on_reboot: root.child_text("on_reboot"),
                on_crash: root.child_text("on_crash"),
            },
            emulator,
            devices,
        })
    }

    /// Whether the boot order is given per device (then `<os><boot>` must not be used).
    pub fn uses_device_boot_order(&self) -> bool {
        self.devices
            .iter()
            .any(|device| device.boot_order.is_some())
    }

    /// The effective boot order: per-device when any device has one, else the `<os>` list.
    pub fn boot_order(&self) -> BootOrder {
        if self.uses_device_boot_order() {
            let mut ordered: Vec<(u32, usize)> = self
                .devices
                .iter()
                .filter_map(|device| device.boot_order.map(|order| (order, device.index)))
                .collect();
            ordered.sort_unstable();
            BootOrder::Devices(ordered.into_iter().map(|(_, index)| index).collect())
        } else {
            BootOrder::Os(self.os.boot_devices.clone())
        }
    }
}

/// The `<domain>` root of `document`, or the error saying what it is instead.
pub(crate) fn domain_root(document: &XmlDocument) -> Result<&Element, XmlError> {
    let root = document.root();
    if root.name() == "domain" {
        Ok(root)
    } else {
        Err(XmlError::WrongRoot {
            expected: "domain".into(),
            found: root.name().to_owned(),
        })
    }
}

/// The trimmed value of attribute `name`, if present and not blank.
pub(crate) fn attr(element: &Element, name: &str) -> Option<String> {
    let value = element.attr(name)?;
    let trimmed = value.trim();
    (!trimmed.is_empty()).then(|| trimmed.to_owned())
}

/// Attribute `name` as a number (decimal, or hex with `0x` as libvirt writes PCI ids).
pub(crate) fn attr_u32(element: &Element, name: &str) -> Option<u32> {
    parse_u32(&attr(element, name)?)
}

pub(crate) fn parse_u32(text: &str) -> Option<u32> {
    let text = text.trim();
    match text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
        Some(hex) => u32::from_str_radix(hex, 16).ok(),
        None => text.parse().ok(),
    }
}

/// Attribute `name` as a yes/no (`on`/`off`) flag.
pub(crate) fn attr_bool(element: &Element, name: &str) -> Option<bool> {
    match attr(element, name)?.as_str() {
        "yes" | "on" => Some(true),
        "no" | "off" => Some(false),
        _ => None,
    }
}

/// A `<size unit='…'>n</size>`-style element's value in KiB.
pub(crate) fn element_kib(element: &Element) -> Option<u64> {
    parse_kib(&element.text(), attr(element, "unit").as_deref())
}

fn read_memory(root: &Element) -> Memory {
    let max_memory = root.child("maxMemory");
    Memory {
        memory_kib: root.child("memory").and_then(element_kib),
        current_memory_kib: root.child("currentMemory").and_then(element_kib),
        max_memory_kib: max_memory.and_then(element_kib),
        max_memory_slots: max_memory.and_then(|max| attr_u32(max, "slots")),
    }
}

fn read_vcpu(root: &Element) -> Vcpu {
    let Some(vcpu) = root.child("vcpu") else {
        return Vcpu::default();
    };
    Vcpu {
        maximum: parse_u32(&vcpu.text()),
        current: attr_u32(vcpu, "current"),
        placement: attr(vcpu, "placement"),
        cpuset: attr(vcpu, "cpuset"),
    }
}

fn read_os(os: &Element) -> Os {
    let os_type = os.child("type");
    Os {
        os_type: os_type.map(Element::text).map(|t| t.trim().to_owned()),
        arch: os_type.and_then(|t| attr(t, "arch")),
        machine: os_type.and_then(|t| attr(t, "machine")),
        firmware_attribute: attr(os, "firmware"),
        loader: os.child("loader").map(|loader| Loader {
            path: Some(loader.text().trim().to_owned()).filter(|path| !path.is_empty()),
            readonly: attr_bool(loader, "readonly"),
            secure: attr_bool(loader, "secure"),
            loader_type: attr(loader, "type"),
        }),
        nvram: os.child_text("nvram"),
        boot_devices: os
            .children_named("boot")
            .filter_map(|boot| attr(boot, "dev"))
            .map(|dev| BootDevice::from_attribute(&dev))
            .collect(),
        boot_menu: os
            .child("bootmenu")
            .and_then(|menu| attr_bool(menu, "enable")),
        kernel: os.child_text("kernel"),
        initrd: os.child_text("initrd"),
        cmdline: os.child_text("cmdline"),
    }
}
