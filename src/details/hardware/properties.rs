//! The property rows of each hardware entry: what the details pane lists for the selected
//! item, read from the XML model (source paths, bus, MAC, model, network, listen address…).
//! Absent values are left out rather than shown empty.

use crate::driver::xml::devices::{CharDevice, DiskSource};
use crate::driver::xml::model::Firmware;
use crate::driver::xml::{BootOrder, Device, DeviceKind, DomainXml};
use crate::i18n::{gettext, gettext_f};
use crate::units::format_kib;

/// One row: a label and its value, both ready to show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Property {
    pub label: String,
    pub value: String,
}

/// Collects rows, skipping values that are absent.
#[derive(Default)]
struct Rows(Vec<Property>);

impl Rows {
    fn add(&mut self, label: String, value: impl Into<String>) {
        let value = value.into();
        if !value.trim().is_empty() {
            self.0.push(Property { label, value });
        }
    }

    fn opt(&mut self, label: String, value: Option<impl ToString>) {
        if let Some(value) = value {
            self.add(label, value.to_string());
        }
    }

    fn flag(&mut self, label: String, on: bool) {
        if on {
            self.add(label, gettext("Yes"));
        }
    }

    fn yes_no(&mut self, label: String, value: Option<bool>) {
        if let Some(value) = value {
            self.add(label, if value { gettext("Yes") } else { gettext("No") });
        }
    }
}

/// The CPUs entry: counts and placement.
pub(crate) fn cpu_properties(domain: &DomainXml) -> Vec<Property> {
    let mut rows = Rows::default();
    rows.opt(gettext("Current vCPUs"), domain.vcpu.current_or_maximum());
    rows.opt(gettext("Maximum vCPUs"), domain.vcpu.maximum);
    rows.opt(gettext("Placement"), domain.vcpu.placement.as_deref());
    rows.opt(gettext("Host CPUs (cpuset)"), domain.vcpu.cpuset.as_deref());
    rows.0
}

/// The Memory entry: allocation and the hot-plug limit.
pub(crate) fn memory_properties(domain: &DomainXml) -> Vec<Property> {
    let mut rows = Rows::default();
    let memory = &domain.memory;
    rows.opt(
        gettext("Current allocation"),
        memory.current_kib().map(format_kib),
    );
    rows.opt(
        gettext("Maximum allocation"),
        memory.memory_kib.map(format_kib),
    );
    rows.opt(
        gettext("Hot-plug limit"),
        memory.max_memory_kib.map(format_kib),
    );
    rows.opt(gettext("Hot-plug slots"), memory.max_memory_slots);
    rows.0
}

/// The Boot Options entry: firmware, order and direct kernel boot.
pub(crate) fn boot_properties(domain: &DomainXml) -> Vec<Property> {
    let mut rows = Rows::default();
    let os = &domain.os;
    rows.add(gettext("Firmware"), firmware_text(domain));
    rows.opt(
        gettext("Loader"),
        os.loader.as_ref().and_then(|l| l.path.as_deref()),
    );
    rows.opt(gettext("NVRAM"), os.nvram.as_deref());
    let order = match domain.boot_order() {
        BootOrder::Devices(indices) => indices
            .iter()
            .filter_map(|index| domain.devices.get(*index))
            .map(Device::label)
            .collect::<Vec<_>>(),
        BootOrder::Os(devices) => devices.iter().map(crate::details::boot::os_label).collect(),
    };
    rows.add(gettext("Boot order"), order.join(", "));
    rows.yes_no(gettext("Boot menu"), os.boot_menu);
    rows.opt(gettext("Kernel"), os.kernel.as_deref());
    rows.opt(gettext("Initrd"), os.initrd.as_deref());
    rows.opt(gettext("Kernel arguments"), os.cmdline.as_deref());
    rows.0
}

/// "BIOS" or "UEFI", with "secure boot" when the loader says so.
pub fn firmware_text(domain: &DomainXml) -> String {
    match domain.os.firmware() {
        Firmware::Bios => gettext("BIOS"),
        Firmware::Uefi
            if domain
                .os
                .loader
                .as_ref()
                .is_some_and(|l| l.secure == Some(true)) =>
        {
            gettext("UEFI (secure boot)")
        }
        Firmware::Uefi => gettext("UEFI"),
    }
}

fn disk_source(source: &DiskSource) -> Option<String> {
    match source {
        DiskSource::None => None,
        DiskSource::File(path) | DiskSource::Block(path) | DiskSource::Dir(path) => {
            Some(path.clone())
        }
        DiskSource::Volume { pool, volume } => Some(format!("{pool}/{volume}")),
        DiskSource::Network {
            protocol,
            name,
            hosts,
        } => Some(
            [
                protocol.clone().map(|p| format!("{p}:")),
                Some(hosts.join(",")).filter(|h| !h.is_empty()),
                name.clone().map(|n| format!("/{n}")),
            ]
            .into_iter()
            .flatten()
            .collect::<String>(),
        ),
    }
}

fn char_rows(rows: &mut Rows, device: &CharDevice) {
    rows.opt(gettext("Device type"), device.char_type.as_deref());
    rows.opt(gettext("Target type"), device.target_type.as_deref());
    rows.opt(gettext("Target name"), device.target_name.as_deref());
    rows.opt(gettext("Port"), device.target_port);
    rows.opt(gettext("Source path"), device.source_path.as_deref());
    rows.opt(gettext("Source mode"), device.source_mode.as_deref());
    rows.opt(gettext("Host"), device.source_host.as_deref());
    rows.opt(gettext("Service"), device.source_service.as_deref());
}

/// The rows of one device.
pub fn device_properties(device: &Device) -> Vec<Property> {
    let mut rows = Rows::default();
    let model = gettext("Model");
    match &device.kind {
        DeviceKind::Emulator(path) => rows.opt(gettext("Path"), path.as_deref()),
        DeviceKind::Disk(disk) => {
            rows.add(gettext("Device type"), disk.device_or_default());
            rows.opt(gettext("Storage type"), disk.disk_type.as_deref());
            match disk_source(&disk.source) {
                Some(source) => rows.add(gettext("Source"), source),
                None => rows.add(gettext("Source"), gettext("No medium")),
            }
            for (depth, path) in disk.backing_paths.iter().enumerate() {
                rows.add(
                    gettext_f("Backing file {n}", &[("n", &(depth + 1).to_string())]),
                    path.clone(),
                );
            }
            rows.opt(gettext("Target"), disk.target_dev.as_deref());
            rows.opt(gettext("Bus"), disk.bus.as_deref());
            rows.opt(gettext("Driver"), disk.driver_name.as_deref());
            rows.opt(gettext("Format"), disk.driver_type.as_deref());
            rows.flag(gettext("Read-only"), disk.readonly);
            rows.flag(gettext("Shareable"), disk.shareable);
            rows.opt(gettext("Serial number"), disk.serial.as_deref());
        }
        DeviceKind::Interface(nic) => {
            rows.opt(gettext("Type"), nic.interface_type.as_deref());
            rows.opt(gettext("MAC address"), nic.mac.as_deref());
            rows.opt(gettext("Network"), nic.source_network.as_deref());
            rows.opt(gettext("Bridge"), nic.source_bridge.as_deref());
            rows.opt(gettext("Host device"), nic.source_dev.as_deref());
            rows.opt(gettext("Source mode"), nic.source_mode.as_deref());
            rows.opt(model, nic.model.as_deref());
            rows.opt(gettext("Host interface"), nic.target_dev.as_deref());
            rows.opt(gettext("Link state"), nic.link_state.as_deref());
        }
        DeviceKind::Graphics(graphics) => {
            rows.opt(gettext("Type"), graphics.graphics_type.as_deref());
            rows.opt(gettext("Listen address"), graphics.listen_address());
            rows.opt(gettext("Socket"), graphics.socket.as_deref());
            let port = match (graphics.autoport, graphics.port) {
                (Some(true), _) | (_, Some(-1)) => Some(gettext("Automatic")),
                (_, Some(port)) => Some(port.to_string()),
                _ => None,
            };
            rows.opt(gettext("Port"), port);
            rows.opt(
                gettext("TLS port"),
                graphics.tls_port.filter(|port| *port > 0),
            );
            rows.yes_no(gettext("Password"), Some(graphics.has_password));
            rows.opt(gettext("Keymap"), graphics.keymap.as_deref());
        }
        DeviceKind::Video(video) => {
            rows.opt(model, video.model.as_deref());
            rows.opt(gettext("Video RAM"), video.vram_kib.map(format_kib));
            rows.opt(gettext("RAM"), video.ram_kib.map(format_kib));
            rows.opt(gettext("Heads"), video.heads);
            rows.flag(gettext("Primary"), video.primary);
            rows.yes_no(gettext("3D acceleration"), video.accel3d);
        }
        DeviceKind::Serial(c)
        | DeviceKind::Parallel(c)
        | DeviceKind::Console(c)
        | DeviceKind::Channel(c) => char_rows(&mut rows, c),
        DeviceKind::Controller(controller) => {
            rows.opt(gettext("Type"), controller.controller_type.as_deref());
            rows.opt(gettext("Index"), controller.index);
            rows.opt(model, controller.model.as_deref());
        }
        DeviceKind::Sound(sound) => rows.opt(model, sound.model.as_deref()),
        DeviceKind::Audio(audio) => {
            rows.opt(gettext("Type"), audio.audio_type.as_deref());
            rows.opt(gettext("Identifier"), audio.id);
        }
        DeviceKind::Input(input) => {
            rows.opt(gettext("Type"), input.input_type.as_deref());
            rows.opt(gettext("Bus"), input.bus.as_deref());
        }
        DeviceKind::Hostdev(hostdev) => {
            rows.opt(gettext("Mode"), hostdev.mode.as_deref());
            rows.opt(gettext("Type"), hostdev.hostdev_type.as_deref());
            rows.yes_no(gettext("Managed"), hostdev.managed);
            rows.opt(gettext("Vendor"), hostdev.usb_vendor.as_deref());
            rows.opt(gettext("Product"), hostdev.usb_product.as_deref());
            rows.opt(
                gettext("USB bus and device"),
                hostdev
                    .usb_bus
                    .zip(hostdev.usb_device)
                    .map(|(bus, dev)| format!("{bus:03}:{dev:03}")),
            );
            rows.opt(gettext("PCI address"), hostdev.pci_address);
        }
        DeviceKind::Redirdev(redirdev) => {
            rows.opt(gettext("Bus"), redirdev.bus.as_deref());
            rows.opt(gettext("Type"), redirdev.redir_type.as_deref());
            rows.opt(gettext("Host"), redirdev.source_host.as_deref());
            rows.opt(gettext("Service"), redirdev.source_service.as_deref());
        }
        DeviceKind::Smartcard(smartcard) => {
            rows.opt(gettext("Mode"), smartcard.mode.as_deref());
            rows.opt(gettext("Type"), smartcard.smartcard_type.as_deref());
        }
        DeviceKind::Filesystem(fs) => {
            rows.opt(gettext("Type"), fs.fs_type.as_deref());
            rows.opt(gettext("Driver"), fs.driver_type.as_deref());
            rows.opt(gettext("Access mode"), fs.access_mode.as_deref());
            rows.opt(gettext("Source"), fs.source.as_deref());
            rows.opt(gettext("Mount tag"), fs.target_dir.as_deref());
            rows.flag(gettext("Read-only"), fs.readonly);
        }
        DeviceKind::Tpm(tpm) => {
            rows.opt(model, tpm.model.as_deref());
            rows.opt(gettext("Backend"), tpm.backend_type.as_deref());
            rows.opt(gettext("Version"), tpm.backend_version.as_deref());
            rows.opt(gettext("Path"), tpm.backend_path.as_deref());
        }
        DeviceKind::Rng(rng) => {
            rows.opt(model, rng.model.as_deref());
            rows.opt(gettext("Backend"), rng.backend_model.as_deref());
            rows.opt(gettext("Host device"), rng.backend_device.as_deref());
            rows.opt(
                gettext("Rate limit"),
                rng.rate_bytes.map(|bytes| match rng.rate_period_ms {
                    Some(period) => gettext_f(
                        "{bytes} bytes per {period} ms",
                        &[
                            ("bytes", &bytes.to_string()),
                            ("period", &period.to_string()),
                        ],
                    ),
                    None => gettext_f("{bytes} bytes", &[("bytes", &bytes.to_string())]),
                }),
            );
        }
        DeviceKind::Watchdog(watchdog) => {
            rows.opt(model, watchdog.model.as_deref());
            rows.opt(gettext("Action"), watchdog.action.as_deref());
        }
        DeviceKind::Memballoon(balloon) => {
            rows.opt(model, balloon.model.as_deref());
            rows.opt(
                gettext("Statistics period"),
                balloon
                    .stats_period
                    .map(|s| gettext_f("{secs} s", &[("secs", &s.to_string())])),
            );
            rows.yes_no(gettext("Deflate on out-of-memory"), balloon.autodeflate);
        }
        DeviceKind::Panic(panic) => rows.opt(model, panic.model.as_deref()),
        DeviceKind::Vsock(vsock) => {
            rows.opt(model, vsock.model.as_deref());
            rows.opt(gettext("Guest CID"), vsock.cid);
            rows.yes_no(gettext("Automatic CID"), vsock.cid_auto);
        }
        DeviceKind::Iommu(iommu) => rows.opt(model, iommu.model.as_deref()),
        DeviceKind::Hub(hub) => rows.opt(gettext("Type"), hub.hub_type.as_deref()),
        DeviceKind::Shmem(shmem) => {
            rows.opt(gettext("Name"), shmem.name.as_deref());
            rows.opt(model, shmem.model.as_deref());
            rows.opt(gettext("Size"), shmem.size_kib.map(format_kib));
        }
        DeviceKind::Memory(memory) => {
            rows.opt(model, memory.model.as_deref());
            rows.opt(gettext("Size"), memory.size_kib.map(format_kib));
            rows.opt(gettext("NUMA node"), memory.node);
            rows.opt(gettext("Source path"), memory.source_path.as_deref());
        }
        DeviceKind::Lease(lease) => {
            rows.opt(gettext("Lockspace"), lease.lockspace.as_deref());
            rows.opt(gettext("Key"), lease.key.as_deref());
            rows.opt(gettext("Path"), lease.target_path.as_deref());
        }
        DeviceKind::Crypto(crypto) => {
            rows.opt(model, crypto.model.as_deref());
            rows.opt(gettext("Type"), crypto.crypto_type.as_deref());
            rows.opt(gettext("Backend"), crypto.backend_model.as_deref());
        }
        DeviceKind::Other { element } => {
            rows.add(gettext("Element"), format!("<{element}>"));
            rows.add(
                gettext("Known to Hangar"),
                gettext("No — shown as XML only"),
            );
        }
    }
    rows.opt(gettext("Boot order"), device.boot_order);
    rows.opt(gettext("Alias"), device.alias.as_deref());
    rows.0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows_of(device_xml: &str) -> Vec<(String, String)> {
        let xml = format!("<domain><name>n</name><devices>{device_xml}</devices></domain>");
        let domain = DomainXml::parse(&xml).unwrap();
        device_properties(&domain.devices[0])
            .into_iter()
            .map(|p| (p.label, p.value))
            .collect()
    }

    fn value<'a>(rows: &'a [(String, String)], label: &str) -> Option<&'a str> {
        rows.iter()
            .find(|(l, _)| l == label)
            .map(|(_, v)| v.as_str())
    }

    #[test]
    fn disks_show_source_bus_and_format() {
        let rows = rows_of(
            "<disk type='file' device='disk'><driver name='qemu' type='qcow2'/>\
             <source file='/img/a.qcow2'/><target dev='vda' bus='virtio'/><boot order='1'/></disk>",
        );
        assert_eq!(value(&rows, "Source"), Some("/img/a.qcow2"));
        assert_eq!(value(&rows, "Bus"), Some("virtio"));
        assert_eq!(value(&rows, "Format"), Some("qcow2"));
        assert_eq!(value(&rows, "Boot order"), Some("1"));
        assert_eq!(value(&rows, "Read-only"), None, "absent flags are left out");
    }

    #[test]
    fn nics_and_graphics_show_their_addresses() {
        let nic = rows_of(
            "<interface type='network'><mac address='52:54:00:12:34:56'/>\
             <source network='default'/><model type='virtio'/></interface>",
        );
        assert_eq!(value(&nic, "MAC address"), Some("52:54:00:12:34:56"));
        assert_eq!(value(&nic, "Network"), Some("default"));
        assert_eq!(value(&nic, "Model"), Some("virtio"));
        let vnc = rows_of(
            "<graphics type='vnc' port='-1' autoport='yes' passwd='hidden'>\
             <listen type='address' address='127.0.0.1'/></graphics>",
        );
        assert_eq!(value(&vnc, "Listen address"), Some("127.0.0.1"));
        assert_eq!(value(&vnc, "Port"), Some("Automatic"));
        assert_eq!(value(&vnc, "Password"), Some("Yes"));
        assert!(vnc.iter().all(|(_, v)| !v.contains("hidden")));
    }

    #[test]
    fn unknown_elements_say_so() {
        let rows = rows_of("<gizmo/>");
        assert_eq!(value(&rows, "Element"), Some("<gizmo>"));
    }
}
