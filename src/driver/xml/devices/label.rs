//! Short human labels for the hardware list ("Disk vda", "NIC 52:54:00:12:34:56",
//! "Graphics (VNC)"), translated through gettext.

use super::{CharDevice, Device, DeviceKind};
use crate::driver::xml::units::format_kib;
use crate::i18n::{format, gettext, gettext_f};

/// How libvirt's lowercase identifiers read in a label; unknown ones are shown as written.
fn pretty(identifier: &str) -> String {
    let known = match identifier {
        "vnc" => "VNC",
        "spice" => "Spice",
        "rdp" => "RDP",
        "sdl" => "SDL",
        "dbus" => "D-Bus",
        "vga" => "VGA",
        "qxl" => "QXL",
        "virtio" => "VirtIO",
        "cirrus" => "Cirrus",
        "bochs" => "Bochs",
        "ramfb" => "RAMFB",
        "usb" => "USB",
        "pci" => "PCI",
        "sata" => "SATA",
        "ide" => "IDE",
        "scsi" => "SCSI",
        "ps2" => "PS/2",
        "xen" => "Xen",
        "ccid" => "CCID",
        "virtio-serial" => "VirtIO Serial",
        "fdc" => "FDC",
        "xenbus" => "XenBus",
        "isa" => "ISA",
        "ich6" => "ICH6",
        "ich9" => "ICH9",
        "ac97" => "AC97",
        "es1370" => "ES1370",
        "sb16" => "SB16",
        "tcp" => "TCP",
        "spicevmc" => "SpiceVMC",
        other => other,
    };
    known.to_owned()
}

/// "Serial 1"-style labels count ports from 1, as virt-manager does.
fn port_number(device: &CharDevice) -> Option<String> {
    device
        .target_port
        .map(|port| (u64::from(port) + 1).to_string())
}

/// A readable name for well-known channel targets.
fn channel_name(device: &CharDevice) -> Option<String> {
    let name = device.target_name.as_deref();
    Some(match name {
        Some("org.qemu.guest_agent.0") => "qemu-ga".to_owned(),
        Some("com.redhat.spice.0") => "spice".to_owned(),
        Some("org.spice-space.webdav.0") => "spice-webdav".to_owned(),
        Some(other) => other.to_owned(),
        None => pretty(device.char_type.as_deref()?),
    })
}

/// The translated template `with_detail` filled with `detail` when present, else `alone`.
/// (Both are translated at the call site, so xgettext sees every literal.)
fn label(alone: String, with_detail: String, key: &str, detail: Option<String>) -> String {
    match detail {
        Some(detail) => format(&with_detail, &[(key, &detail)]),
        None => alone,
    }
}

impl Device {
    /// A short label for the hardware list, e.g. "Disk vda", "CDROM sda", "NIC 52:54:00:…",
    /// "Graphics (VNC)", "Channel qemu-ga", "Controller USB 0". Unknown devices are labelled by
    /// their element name.
    pub fn label(&self) -> String {
        match &self.kind {
            DeviceKind::Emulator(_) => gettext("Emulator"),
            DeviceKind::Disk(disk) => {
                let target = disk.target_dev.clone();
                match disk.device_or_default() {
                    "cdrom" => label(
                        gettext("CDROM"),
                        gettext("CDROM {target}"),
                        "target",
                        target,
                    ),
                    "floppy" => label(
                        gettext("Floppy"),
                        gettext("Floppy {target}"),
                        "target",
                        target,
                    ),
                    "lun" => label(gettext("LUN"), gettext("LUN {target}"), "target", target),
                    _ => label(gettext("Disk"), gettext("Disk {target}"), "target", target),
                }
            }
            DeviceKind::Interface(nic) => {
                label(gettext("NIC"), gettext("NIC {mac}"), "mac", nic.mac.clone())
            }
            DeviceKind::Graphics(graphics) => label(
                gettext("Graphics"),
                gettext("Graphics ({type})"),
                "type",
                graphics.graphics_type.as_deref().map(pretty),
            ),
            DeviceKind::Video(video) => label(
                gettext("Video"),
                gettext("Video {model}"),
                "model",
                video.model.as_deref().map(pretty),
            ),
            DeviceKind::Serial(serial) => label(
                gettext("Serial"),
                gettext("Serial {number}"),
                "number",
                port_number(serial),
            ),
            DeviceKind::Parallel(parallel) => label(
                gettext("Parallel"),
                gettext("Parallel {number}"),
                "number",
                port_number(parallel),
            ),
            DeviceKind::Console(console) => label(
                gettext("Console"),
                gettext("Console {number}"),
                "number",
                port_number(console),
            ),
            DeviceKind::Channel(channel) => label(
                gettext("Channel"),
                gettext("Channel {name}"),
                "name",
                channel_name(channel),
            ),
            DeviceKind::Controller(controller) => {
                let kind = controller.controller_type.as_deref().map(pretty);
                match (kind, controller.index) {
                    (Some(kind), Some(index)) => gettext_f(
                        "Controller {type} {index}",
                        &[("type", &kind), ("index", &index.to_string())],
                    ),
                    (kind, _) => label(
                        gettext("Controller"),
                        gettext("Controller {type}"),
                        "type",
                        kind,
                    ),
                }
            }
            DeviceKind::Sound(sound) => label(
                gettext("Sound"),
                gettext("Sound {model}"),
                "model",
                sound.model.as_deref().map(pretty),
            ),
            DeviceKind::Audio(audio) => label(
                gettext("Audio"),
                gettext("Audio ({type})"),
                "type",
                audio.audio_type.as_deref().map(pretty),
            ),
            DeviceKind::Input(input) => {
                let device = match input.input_type.as_deref() {
                    Some("tablet") => gettext("Tablet"),
                    Some("mouse") => gettext("Mouse"),
                    Some("keyboard") => gettext("Keyboard"),
                    _ => gettext("Input"),
                };
                match input.bus.as_deref().map(pretty) {
                    Some(bus) => {
                        gettext_f("{device} ({bus})", &[("device", &device), ("bus", &bus)])
                    }
                    None => device,
                }
            }
            DeviceKind::Hostdev(hostdev) => {
                let strip = |id: &str| id.trim_start_matches("0x").to_owned();
                match (hostdev.hostdev_type.as_deref(), hostdev) {
                    (Some("usb"), h) if h.usb_vendor.is_some() || h.usb_product.is_some() => {
                        let vendor = h.usb_vendor.as_deref().map(strip).unwrap_or_default();
                        let product = h.usb_product.as_deref().map(strip).unwrap_or_default();
                        gettext_f("USB {id}", &[("id", &format!("{vendor}:{product}"))])
                    }
                    (Some("usb"), h) => label(
                        gettext("USB host device"),
                        gettext("USB {id}"),
                        "id",
                        h.usb_bus
                            .zip(h.usb_device)
                            .map(|(bus, device)| format!("{bus:03}:{device:03}")),
                    ),
                    (Some("pci"), h) => label(
                        gettext("PCI host device"),
                        gettext("PCI {id}"),
                        "id",
                        h.pci_address.map(|address| address.to_string()),
                    ),
                    (kind, _) => label(
                        gettext("Host device"),
                        gettext("Host device ({type})"),
                        "type",
                        kind.map(pretty),
                    ),
                }
            }
            DeviceKind::Redirdev(redirdev) => label(
                gettext("USB redirector"),
                gettext("USB redirector ({type})"),
                "type",
                redirdev.redir_type.as_deref().map(pretty),
            ),
            DeviceKind::Smartcard(smartcard) => label(
                gettext("Smartcard"),
                gettext("Smartcard ({mode})"),
                "mode",
                smartcard.mode.clone(),
            ),
            DeviceKind::Filesystem(filesystem) => label(
                gettext("Filesystem"),
                gettext("Filesystem {target}"),
                "target",
                filesystem.target_dir.clone(),
            ),
            DeviceKind::Tpm(tpm) => label(
                gettext("TPM"),
                gettext("TPM v{version}"),
                "version",
                tpm.backend_version.clone(),
            ),
            DeviceKind::Rng(rng) => label(
                gettext("RNG"),
                gettext("RNG {device}"),
                "device",
                rng.backend_device.clone(),
            ),
            DeviceKind::Watchdog(_) => gettext("Watchdog"),
            DeviceKind::Memballoon(_) => gettext("Memory balloon"),
            DeviceKind::Panic(_) => gettext("Panic notifier"),
            DeviceKind::Vsock(_) => gettext("VirtIO VSOCK"),
            DeviceKind::Iommu(_) => gettext("IOMMU"),
            DeviceKind::Hub(_) => gettext("USB hub"),
            DeviceKind::Shmem(shmem) => label(
                gettext("Shared memory"),
                gettext("Shared memory {name}"),
                "name",
                shmem.name.clone(),
            ),
            DeviceKind::Memory(memory) => label(
                gettext("Memory module"),
                gettext("Memory module {size}"),
                "size",
                memory.size_kib.map(format_kib),
            ),
            DeviceKind::Lease(_) => gettext("Lease"),
            DeviceKind::Crypto(_) => gettext("Crypto device"),
            DeviceKind::Other { element } => element.clone(),
        }
    }
}
