//! The typed read model against hand-written XML: every device kind, units, boot order,
//! firmware, labels, hidden passwords, leniency and errors. No libvirt needed.

use hangar::driver::xml::devices::{DiskSource, PciAddress};
use hangar::driver::xml::{
    BootDevice, BootOrder, DeviceKind, DomainXml, Firmware, XmlDocument, XmlError,
};

const RICH: &str = include_str!("data/rich-domain.xml");
const PASSWORD: &str = "s3cret-never-shown";

fn parse(xml: &str) -> DomainXml {
    DomainXml::parse(xml).unwrap_or_else(|error| panic!("{error}\n{xml}"))
}

/// A domain whose `<devices>` holds `devices`.
fn with_devices(devices: &str) -> DomainXml {
    parse(&format!(
        "<domain type='kvm'><name>t</name><devices>{devices}</devices></domain>"
    ))
}

#[test]
fn scalar_fields_of_the_rich_domain() {
    let vm = parse(RICH);
    assert_eq!(vm.domain_type.as_deref(), Some("test"));
    assert_eq!(vm.name, "hangar-rich");
    assert_eq!(
        vm.uuid.as_deref(),
        Some("6f1c2a0e-8d4b-4c3e-9a57-2b7d1e0f3c91")
    );
    assert_eq!(vm.title.as_deref(), Some("Rich guest & friends"));
    assert_eq!(
        vm.description.as_deref(),
        Some("Every device kind Hangar lists.\nSecond line with <angle> brackets.")
    );
    // GiB, MiB and GiB again, all normalised to KiB.
    assert_eq!(vm.memory.max_memory_kib, Some(16 << 20));
    assert_eq!(vm.memory.max_memory_slots, Some(4));
    assert_eq!(vm.memory.memory_kib, Some(4 << 20));
    assert_eq!(vm.memory.current_memory_kib, Some(3072 << 10));
    assert_eq!(vm.vcpu.maximum, Some(4));
    assert_eq!(vm.vcpu.current, Some(2));
    assert_eq!(vm.vcpu.current_or_maximum(), Some(2));
    assert_eq!(vm.vcpu.placement.as_deref(), Some("static"));

    let os = &vm.os;
    assert_eq!(os.os_type.as_deref(), Some("hvm"));
    assert_eq!(os.arch.as_deref(), Some("x86_64"));
    assert_eq!(os.machine.as_deref(), Some("pc-q35-7.2"));
    let loader = os.loader.as_ref().expect("the fixture has a loader");
    assert_eq!(
        loader.path.as_deref(),
        Some("/usr/share/OVMF/OVMF_CODE_4M.fd")
    );
    assert_eq!(loader.readonly, Some(true));
    assert_eq!(loader.secure, Some(false));
    assert_eq!(loader.loader_type.as_deref(), Some("pflash"));
    assert_eq!(os.firmware(), Firmware::Uefi);
    assert_eq!(
        os.nvram.as_deref(),
        Some("/var/lib/libvirt/qemu/nvram/hangar-rich_VARS.fd")
    );
    assert_eq!(os.kernel.as_deref(), Some("/boot/vmlinuz-hangar"));
    assert_eq!(os.initrd.as_deref(), Some("/boot/initrd-hangar.img"));
    assert_eq!(os.cmdline.as_deref(), Some("console=ttyS0 quiet"));
    assert_eq!(os.boot_menu, Some(true));
    assert!(os.boot_devices.is_empty());

    let features: Vec<(&str, Option<&str>)> = vm
        .features
        .iter()
        .map(|f| (f.name.as_str(), f.state.as_deref()))
        .collect();
    assert_eq!(
        features,
        [
            ("acpi", None),
            ("apic", None),
            ("pae", None),
            ("vmport", Some("off"))
        ]
    );
    assert_eq!(vm.lifecycle.on_poweroff.as_deref(), Some("destroy"));
    assert_eq!(vm.lifecycle.on_reboot.as_deref(), Some("restart"));
    assert_eq!(vm.lifecycle.on_crash.as_deref(), Some("coredump-restart"));
    assert_eq!(vm.emulator.as_deref(), Some("/usr/bin/qemu-system-x86_64"));
}

#[test]
fn every_device_of_the_rich_domain_is_listed_in_order_with_its_label() {
    let vm = parse(RICH);
    let labels: Vec<String> = vm.devices.iter().map(|d| d.label()).collect();
    let expected = [
        "Emulator",
        "Disk vda",
        "CDROM sda",
        "Disk vdb",
        "Disk vdc",
        "Disk vdd",
        "Floppy fda",
        "Controller USB 0",
        "Controller SATA 0",
        "Controller PCI 0",
        "Controller VirtIO Serial 0",
        "Controller SCSI 0",
        "Controller CCID 0",
        "Filesystem hostshare",
        "NIC 52:54:00:12:34:56",
        "NIC 52:54:00:ab:cd:ef",
        "NIC 52:54:00:00:00:01",
        "NIC 52:54:00:00:00:02",
        "Smartcard (passthrough)",
        "Serial 1",
        "Serial 2",
        "Parallel 1",
        "Console 1",
        "Channel qemu-ga",
        "Channel spice",
        "Tablet (USB)",
        "Mouse (PS/2)",
        "Keyboard (VirtIO)",
        "TPM v2.0",
        "Graphics (VNC)",
        "Graphics (Spice)",
        "Sound ICH9",
        "Audio (Spice)",
        "Video QXL",
        "Video VirtIO",
        "USB 046d:c52b",
        "PCI 0000:03:00.1",
        "USB redirector (SpiceVMC)",
        "USB redirector (TCP)",
        "USB hub",
        "Watchdog",
        "Memory balloon",
        "RNG /dev/urandom",
        "Panic notifier",
        "Shared memory hangar-shmem",
        "Memory module 1 GiB",
        "IOMMU",
        "VirtIO VSOCK",
    ];
    assert_eq!(labels, expected);
    for (position, device) in vm.devices.iter().enumerate() {
        assert_eq!(device.index, position);
        let opening = format!("<{}", device.element);
        assert!(device.xml.starts_with(&opening), "{}", device.xml);
        assert!(
            !matches!(device.kind, DeviceKind::Other { .. }),
            "{device:?}"
        );
    }
}

#[test]
fn device_fields_are_typed() {
    let vm = parse(RICH);
    let kind = |index: usize| &vm.devices[index].kind;

    let DeviceKind::Disk(disk) = kind(1) else {
        panic!("{:?}", kind(1))
    };
    assert_eq!(disk.disk_type.as_deref(), Some("file"));
    assert_eq!(disk.device_or_default(), "disk");
    assert_eq!(disk.driver_name.as_deref(), Some("qemu"));
    assert_eq!(disk.driver_type.as_deref(), Some("qcow2"));
    assert_eq!(
        disk.source,
        DiskSource::File("/var/lib/libvirt/images/hangar-rich.qcow2".into())
    );
    assert_eq!(disk.target_dev.as_deref(), Some("vda"));
    assert_eq!(disk.bus.as_deref(), Some("virtio"));
    assert!(!disk.readonly && !disk.shareable);
    assert_eq!(vm.devices[1].boot_order, Some(2));

    let DeviceKind::Disk(cdrom) = kind(2) else {
        panic!()
    };
    assert!(cdrom.readonly);
    assert_eq!(cdrom.device.as_deref(), Some("cdrom"));
    let DeviceKind::Disk(block) = kind(3) else {
        panic!()
    };
    assert!(block.shareable);
    assert_eq!(block.source, DiskSource::Block("/dev/vg0/shared".into()));
    let DeviceKind::Disk(volume) = kind(4) else {
        panic!()
    };
    assert_eq!(
        volume.source,
        DiskSource::Volume {
            pool: "default".into(),
            volume: "hangar-rich-data.qcow2".into()
        }
    );
    let DeviceKind::Disk(network) = kind(5) else {
        panic!()
    };
    assert_eq!(
        network.source,
        DiskSource::Network {
            protocol: Some("nbd".into()),
            name: Some("export".into()),
            hosts: vec!["nbd.example.org:10809".into()],
        }
    );

    let DeviceKind::Controller(usb) = kind(7) else {
        panic!()
    };
    assert_eq!(usb.controller_type.as_deref(), Some("usb"));
    assert_eq!(usb.model.as_deref(), Some("qemu-xhci"));
    assert_eq!(usb.index, Some(0));

    let DeviceKind::Filesystem(fs) = kind(13) else {
        panic!()
    };
    assert_eq!(fs.source.as_deref(), Some("/srv/share"));
    assert_eq!(fs.access_mode.as_deref(), Some("passthrough"));

    let DeviceKind::Interface(nic) = kind(14) else {
        panic!()
    };
    assert_eq!(nic.interface_type.as_deref(), Some("network"));
    assert_eq!(nic.source_network.as_deref(), Some("default"));
    assert_eq!(nic.model.as_deref(), Some("virtio"));
    assert_eq!(nic.target_dev.as_deref(), Some("vnet7"));
    assert_eq!(vm.devices[14].boot_order, Some(3));
    let DeviceKind::Interface(bridge) = kind(15) else {
        panic!()
    };
    assert_eq!(bridge.source_bridge.as_deref(), Some("br0"));
    let DeviceKind::Interface(direct) = kind(16) else {
        panic!()
    };
    assert_eq!(direct.source_dev.as_deref(), Some("eth0"));
    assert_eq!(direct.source_mode.as_deref(), Some("bridge"));

    let DeviceKind::Smartcard(card) = kind(18) else {
        panic!()
    };
    assert_eq!(card.smartcard_type.as_deref(), Some("spicevmc"));

    let DeviceKind::Serial(file_serial) = kind(20) else {
        panic!()
    };
    assert_eq!(file_serial.char_type.as_deref(), Some("file"));
    assert_eq!(
        file_serial.source_path.as_deref(),
        Some("/var/log/hangar-rich-serial.log")
    );
    assert_eq!(file_serial.target_port, Some(1));
    let DeviceKind::Console(console) = kind(22) else {
        panic!()
    };
    assert_eq!(console.target_type.as_deref(), Some("serial"));
    let DeviceKind::Channel(agent) = kind(23) else {
        panic!()
    };
    assert_eq!(agent.char_type.as_deref(), Some("unix"));
    assert_eq!(agent.target_type.as_deref(), Some("virtio"));
    assert_eq!(agent.target_name.as_deref(), Some("org.qemu.guest_agent.0"));
    assert_eq!(agent.source_mode.as_deref(), Some("bind"));

    let DeviceKind::Input(tablet) = kind(25) else {
        panic!()
    };
    assert_eq!(
        (tablet.input_type.as_deref(), tablet.bus.as_deref()),
        (Some("tablet"), Some("usb"))
    );
    let DeviceKind::Tpm(tpm) = kind(28) else {
        panic!()
    };
    assert_eq!(tpm.model.as_deref(), Some("tpm-crb"));
    assert_eq!(tpm.backend_type.as_deref(), Some("emulator"));

    let DeviceKind::Graphics(vnc) = kind(29) else {
        panic!()
    };
    assert_eq!(vnc.graphics_type.as_deref(), Some("vnc"));
    assert_eq!(vnc.port, Some(5907));
    assert_eq!(vnc.autoport, Some(false));
    assert_eq!(vnc.listen_address(), Some("0.0.0.0"));
    assert_eq!(vnc.listens[0].listen_type.as_deref(), Some("address"));
    assert!(vnc.has_password);
    assert_eq!(vnc.keymap.as_deref(), Some("en-us"));
    let DeviceKind::Graphics(spice) = kind(30) else {
        panic!()
    };
    assert!(!spice.has_password);
    assert_eq!(spice.port, None);

    let DeviceKind::Video(qxl) = kind(33) else {
        panic!()
    };
    assert_eq!(qxl.model.as_deref(), Some("qxl"));
    assert_eq!(qxl.vram_kib, Some(65536));
    assert_eq!(qxl.heads, Some(1));
    assert!(qxl.primary);
    let DeviceKind::Video(virtio) = kind(34) else {
        panic!()
    };
    assert_eq!(virtio.heads, Some(2));

    let DeviceKind::Hostdev(usb_host) = kind(35) else {
        panic!()
    };
    assert_eq!(usb_host.usb_vendor.as_deref(), Some("0x046d"));
    assert_eq!(usb_host.usb_product.as_deref(), Some("0xc52b"));
    assert_eq!(usb_host.managed, Some(true));
    assert_eq!(vm.devices[35].boot_order, Some(4));
    let DeviceKind::Hostdev(pci_host) = kind(36) else {
        panic!()
    };
    assert_eq!(
        pci_host.pci_address,
        Some(PciAddress {
            domain: 0,
            bus: 3,
            slot: 0,
            function: 1
        })
    );

    let DeviceKind::Redirdev(tcp) = kind(38) else {
        panic!()
    };
    assert_eq!(tcp.source_host.as_deref(), Some("usbredir.example.org"));
    assert_eq!(tcp.source_service.as_deref(), Some("4000"));
    let DeviceKind::Watchdog(watchdog) = kind(40) else {
        panic!()
    };
    assert_eq!(watchdog.action.as_deref(), Some("reset"));
    let DeviceKind::Memballoon(balloon) = kind(41) else {
        panic!()
    };
    assert_eq!(balloon.stats_period, Some(10));
    let DeviceKind::Rng(rng) = kind(42) else {
        panic!()
    };
    assert_eq!(rng.backend_model.as_deref(), Some("random"));
    assert_eq!(rng.rate_bytes, Some(1024));
    let DeviceKind::Panic(panic_device) = kind(43) else {
        panic!()
    };
    assert_eq!(panic_device.model.as_deref(), Some("isa"));
    let DeviceKind::Shmem(shmem) = kind(44) else {
        panic!()
    };
    assert_eq!(shmem.size_kib, Some(4096));
    assert_eq!(shmem.model.as_deref(), Some("ivshmem-plain"));
    let DeviceKind::Memory(dimm) = kind(45) else {
        panic!()
    };
    assert_eq!(dimm.size_kib, Some(1 << 20));
    assert_eq!(dimm.node, Some(0));
    let DeviceKind::Iommu(iommu) = kind(46) else {
        panic!()
    };
    assert_eq!(iommu.model.as_deref(), Some("intel"));
    let DeviceKind::Vsock(vsock) = kind(47) else {
        panic!()
    };
    assert_eq!((vsock.cid, vsock.cid_auto), (Some(7), Some(false)));
}

#[test]
fn the_graphics_password_never_reaches_the_model() {
    let vm = parse(RICH);
    let shown = [
        format!("{vm:?}"),
        serde_json::to_string(&vm).expect("the model serialises"),
        vm.devices.iter().map(|d| d.xml.as_str()).collect(),
        vm.devices.iter().map(|d| d.label()).collect(),
    ];
    for text in shown {
        assert!(!text.contains(PASSWORD), "password leaked: {text}");
    }
    let graphics = &vm.devices[29];
    assert!(graphics.xml.contains("passwd='***'"), "{}", graphics.xml);
    // The lossless document keeps it (an edit must not drop it), but not in its Debug form.
    let document = XmlDocument::parse(RICH).expect("fixture parses");
    assert!(document.to_xml_string().contains(PASSWORD));
    assert!(!format!("{document:?}").contains(PASSWORD));
    assert_eq!(
        document.device_xml(29).map(|x| x.contains(PASSWORD)),
        Some(true)
    );
}

#[test]
fn the_other_device_kinds_and_unknown_elements() {
    let vm = with_devices(
        "<lease><lockspace>space</lockspace><key>k</key><target path='/l'/></lease>\
         <crypto model='virtio' type='qemu'><backend model='builtin'/></crypto>\
         <pstore backend='acpi-erst'/>\
         <hangar:gizmo xmlns:hangar='urn:x' power='9000'><part/></hangar:gizmo>\
         <hostdev mode='subsystem' type='usb'><source><address bus='1' device='5'/></source></hostdev>\
         <hostdev mode='subsystem' type='mdev'/>\
         <disk type='file' device='lun'><target dev='sdz'/></disk>\
         <disk><target dev='hdq'/></disk>\
         <interface type='user'/>\
         <graphics type='rdp' socket='/run/g.sock'/>\
         <input type='passthrough'/>\
         <channel type='spiceport'><source channel='org.spice.x'/><target type='virtio'/></channel>",
    );
    let labels: Vec<String> = vm.devices.iter().map(|d| d.label()).collect();
    assert_eq!(
        labels,
        [
            "Lease",
            "Crypto device",
            "pstore",
            "hangar:gizmo",
            "USB 001:005",
            "Host device (mdev)",
            "LUN sdz",
            "Disk hdq",
            "NIC",
            "Graphics (RDP)",
            "Input",
            "Channel spiceport",
        ]
    );
    let DeviceKind::Lease(lease) = &vm.devices[0].kind else {
        panic!()
    };
    assert_eq!(lease.lockspace.as_deref(), Some("space"));
    let DeviceKind::Crypto(crypto) = &vm.devices[1].kind else {
        panic!()
    };
    assert_eq!(crypto.backend_model.as_deref(), Some("builtin"));
    // Unknown elements are kept with their own XML, nothing hidden.
    assert_eq!(
        vm.devices[3].kind,
        DeviceKind::Other {
            element: "hangar:gizmo".into()
        }
    );
    assert_eq!(
        vm.devices[3].xml,
        "<hangar:gizmo xmlns:hangar='urn:x' power='9000'><part/></hangar:gizmo>"
    );
    let DeviceKind::Disk(no_type) = &vm.devices[7].kind else {
        panic!()
    };
    assert_eq!(no_type.source, DiskSource::None);
    let DeviceKind::Graphics(rdp) = &vm.devices[9].kind else {
        panic!()
    };
    assert_eq!(rdp.socket.as_deref(), Some("/run/g.sock"));
    let DeviceKind::Channel(port) = &vm.devices[11].kind else {
        panic!()
    };
    assert_eq!(port.source_path.as_deref(), Some("org.spice.x"));
}

#[test]
fn boot_order_per_device_or_from_os() {
    let per_device = with_devices(
        "<disk><target dev='vda'/><boot order='2'/></disk>\
         <interface type='user'><boot order='1'/></interface>\
         <disk device='cdrom'><target dev='sda'/></disk>",
    );
    assert!(per_device.uses_device_boot_order());
    assert_eq!(per_device.boot_order(), BootOrder::Devices(vec![1, 0]));

    let os = parse(
        "<domain><name>x</name><os><type>hvm</type><boot dev='cdrom'/><boot dev='hd'/>\
         <boot dev='network'/><boot dev='fd'/><boot dev='warp'/></os></domain>",
    );
    assert!(!os.uses_device_boot_order());
    assert_eq!(
        os.boot_order(),
        BootOrder::Os(vec![
            BootDevice::Cdrom,
            BootDevice::HardDisk,
            BootDevice::Network,
            BootDevice::Floppy,
            BootDevice::Other("warp".into()),
        ])
    );
}

#[test]
fn firmware_is_found_from_attribute_or_loader() {
    let firmware = |os: &str| {
        parse(&format!("<domain><name>x</name>{os}</domain>"))
            .os
            .firmware()
    };
    assert_eq!(
        firmware("<os firmware='efi'><type>hvm</type></os>"),
        Firmware::Uefi
    );
    assert_eq!(
        firmware("<os firmware='bios'><loader type='pflash'>/x</loader></os>"),
        Firmware::Bios
    );
    assert_eq!(
        firmware("<os><loader readonly='yes'>/usr/share/edk2/ovmf/OVMF_CODE.fd</loader></os>"),
        Firmware::Uefi
    );
    assert_eq!(
        firmware("<os><loader type='rom'>/usr/share/seabios/bios.bin</loader></os>"),
        Firmware::Bios
    );
    assert_eq!(firmware("<os><type>hvm</type></os>"), Firmware::Bios);
    assert_eq!(firmware(""), Firmware::Bios);
}

#[test]
fn units_default_and_unknown_values_are_lenient() {
    let vm = parse(
        "<domain type='kvm' id='not-a-number' future='yes'>\
           <name> spaced </name>\
           <memory>1048576</memory>\
           <currentMemory unit='parsecs'>12</currentMemory>\
           <vcpu>many</vcpu>\
           <future-element><deep/></future-element>\
           <devices><video><model type='vga' vram='huge' heads='-1'/></video></devices>\
         </domain>",
    );
    assert_eq!(vm.name, "spaced");
    assert_eq!(vm.id, None);
    assert_eq!(vm.memory.memory_kib, Some(1 << 20), "no unit means KiB");
    assert_eq!(vm.memory.current_memory_kib, None, "unknown unit");
    assert_eq!(vm.memory.current_kib(), Some(1 << 20));
    assert_eq!(vm.vcpu.maximum, None);
    assert_eq!(vm.uuid, None);
    assert_eq!(vm.os.os_type, None);
    let DeviceKind::Video(video) = &vm.devices[0].kind else {
        panic!()
    };
    assert_eq!((video.vram_kib, video.heads), (None, None));
    assert_eq!(video.model.as_deref(), Some("vga"));

    let bare = parse("<domain><name>n</name></domain>");
    assert!(bare.devices.is_empty());
    assert_eq!(bare.memory.memory_kib, None);
}

#[test]
fn documents_that_are_not_domains_are_errors_in_words() {
    let error = |xml: &str| DomainXml::parse(xml).expect_err(xml);
    assert_eq!(
        error("<network><name>n</name></network>"),
        XmlError::WrongRoot {
            expected: "domain".into(),
            found: "network".into()
        }
    );
    for xml in [
        "<domain/>",
        "<domain><name>  </name></domain>",
        "<domain><uuid>u</uuid></domain>",
    ] {
        assert_eq!(
            error(xml),
            XmlError::MissingElement {
                element: "name".into()
            },
            "{xml}"
        );
    }
    let broken =
        error("<domain>\n  <name>x</name>\n  <devices>\n    <disk>\n  </devices>\n</domain>");
    let XmlError::Syntax { position, .. } = &broken else {
        panic!("{broken:?}")
    };
    assert_eq!((position.line, position.column), (5, 3));
    let message = broken.to_string();
    assert!(message.contains("line 5, column 3"), "{message}");
    assert!(error("<network/>").to_string().contains("network"));
}
