//! The device list: every child element of `<devices>`, in document order, each with its own
//! XML and — for the kinds Hangar knows — a typed description. Unknown elements are listed as
//! [`DeviceKind::Other`] so the hardware page hides nothing.

mod kinds;
mod label;

use serde::Serialize;

pub use kinds::*;

use super::model::attr_u32;
use super::tree::Element;

/// One child of `<devices>`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Device {
    /// Position among the element children of `<devices>` (0-based); the index the edit
    /// functions take.
    pub index: usize,
    /// The element name (`disk`, `interface`, …, or whatever an unknown one is called).
    pub element: String,
    pub kind: DeviceKind,
    /// The device's own XML, exactly as in the document except that secrets (graphics
    /// passwords) are replaced by `***`.
    pub xml: String,
    /// Per-device boot position (`<boot order='n'/>`), for disks, NICs, host and redirected
    /// devices.
    pub boot_order: Option<u32>,
    /// The device alias libvirt assigns to running domains (`<alias name='…'/>`).
    pub alias: Option<String>,
}

impl Device {
    /// Whether libvirt lets this device take part in a per-device boot order.
    pub fn can_boot(&self) -> bool {
        BOOTABLE_ELEMENTS.contains(&self.element.as_str())
    }
}

/// What a device is, with the fields Hangar shows for it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum DeviceKind {
    /// `<emulator>`: the hypervisor binary path (a child of `<devices>` too).
    Emulator(Option<String>),
    Disk(Disk),
    Interface(Interface),
    Graphics(Graphics),
    Video(Video),
    Serial(CharDevice),
    Parallel(CharDevice),
    Console(CharDevice),
    Channel(CharDevice),
    Controller(Controller),
    Sound(Sound),
    Audio(Audio),
    Input(Input),
    Hostdev(Hostdev),
    Redirdev(Redirdev),
    Smartcard(Smartcard),
    Filesystem(Filesystem),
    Tpm(Tpm),
    Rng(Rng),
    Watchdog(Watchdog),
    Memballoon(Memballoon),
    Panic(Panic),
    Vsock(Vsock),
    Iommu(Iommu),
    Hub(Hub),
    Shmem(Shmem),
    Memory(MemoryDevice),
    Lease(Lease),
    Crypto(Crypto),
    /// An element this model does not know, by its name.
    Other {
        element: String,
    },
}

/// Elements that may carry a per-device `<boot order>` in libvirt.
pub const BOOTABLE_ELEMENTS: [&str; 4] = ["disk", "interface", "hostdev", "redirdev"];

/// Reads every child element of `devices`.
pub(crate) fn read_devices(devices: &Element) -> Vec<Device> {
    devices
        .elements()
        .enumerate()
        .map(|(index, element)| Device {
            index,
            element: element.name().to_owned(),
            kind: read_kind(element),
            xml: element.to_redacted_xml_string(),
            boot_order: element
                .child("boot")
                .and_then(|boot| attr_u32(boot, "order")),
            alias: element
                .child("alias")
                .and_then(|alias| super::model::attr(alias, "name")),
        })
        .collect()
}

fn read_kind(element: &Element) -> DeviceKind {
    match element.name() {
        "emulator" => DeviceKind::Emulator(
            Some(element.text().trim().to_owned()).filter(|path| !path.is_empty()),
        ),
        "disk" => DeviceKind::Disk(Disk::read(element)),
        "interface" => DeviceKind::Interface(Interface::read(element)),
        "graphics" => DeviceKind::Graphics(Graphics::read(element)),
        "video" => DeviceKind::Video(Video::read(element)),
        "serial" => DeviceKind::Serial(CharDevice::read(element)),
        "parallel" => DeviceKind::Parallel(CharDevice::read(element)),
        "console" => DeviceKind::Console(CharDevice::read(element)),
        "channel" => DeviceKind::Channel(CharDevice::read(element)),
        "controller" => DeviceKind::Controller(Controller::read(element)),
        "sound" => DeviceKind::Sound(Sound::read(element)),
        "audio" => DeviceKind::Audio(Audio::read(element)),
        "input" => DeviceKind::Input(Input::read(element)),
        "hostdev" => DeviceKind::Hostdev(Hostdev::read(element)),
        "redirdev" => DeviceKind::Redirdev(Redirdev::read(element)),
        "smartcard" => DeviceKind::Smartcard(Smartcard::read(element)),
        "filesystem" => DeviceKind::Filesystem(Filesystem::read(element)),
        "tpm" => DeviceKind::Tpm(Tpm::read(element)),
        "rng" => DeviceKind::Rng(Rng::read(element)),
        "watchdog" => DeviceKind::Watchdog(Watchdog::read(element)),
        "memballoon" => DeviceKind::Memballoon(Memballoon::read(element)),
        "panic" => DeviceKind::Panic(Panic::read(element)),
        "vsock" => DeviceKind::Vsock(Vsock::read(element)),
        "iommu" => DeviceKind::Iommu(Iommu::read(element)),
        "hub" => DeviceKind::Hub(Hub::read(element)),
        "shmem" => DeviceKind::Shmem(Shmem::read(element)),
        "memory" => DeviceKind::Memory(MemoryDevice::read(element)),
        "lease" => DeviceKind::Lease(Lease::read(element)),
        "crypto" => DeviceKind::Crypto(Crypto::read(element)),
        other => DeviceKind::Other {
            element: other.to_owned(),
        },
    }
}
