//! The virtual machine page: a header (name, state, host) above tabs. The Overview tab shows
//! what the fleet knows about the machine; later tabs (performance, console, hardware, XML)
//! plug into the same view stack.

use adw::prelude::*;

use hangar::driver::DomainInfo;
use hangar::fleet::{self, VmSummary};
use hangar::i18n::{gettext, pgettext};
use hangar::units::format_kib;

use crate::ui::console::ConsoleTab;

/// The widgets of the VM page.
pub struct VmPage {
    pub root: gtk::Box,
    pub stack: adw::ViewStack,
    icon: gtk::Image,
    title: gtk::Label,
    subtitle: gtk::Label,
    overview: adw::PreferencesGroup,
    rows: Vec<gtk::Widget>,
    /// The Console tab (and the consoles detached from it).
    pub console: ConsoleTab,
}

impl VmPage {
    pub fn new() -> Self {
        let icon = gtk::Image::builder().pixel_size(32).build();
        let title = gtk::Label::builder()
            .xalign(0.0)
            .ellipsize(gtk::pango::EllipsizeMode::End)
            .css_classes(["title-2"])
            .build();
        let subtitle = gtk::Label::builder()
            .xalign(0.0)
            .ellipsize(gtk::pango::EllipsizeMode::End)
            .css_classes(["dim-label"])
            .build();
        let text = gtk::Box::new(gtk::Orientation::Vertical, 2);
        text.set_hexpand(true);
        text.append(&title);
        text.append(&subtitle);
        let header = gtk::Box::new(gtk::Orientation::Horizontal, 12);
        header.set_margin_top(12);
        header.set_margin_start(18);
        header.set_margin_end(18);
        header.append(&icon);
        header.append(&text);

        let stack = adw::ViewStack::new();
        stack.set_vexpand(true);
        let switcher = adw::ViewSwitcherBar::builder()
            .stack(&stack)
            .reveal(true)
            .build();

        let overview = adw::PreferencesGroup::new();
        let content = gtk::Box::new(gtk::Orientation::Vertical, 18);
        content.set_margin_top(18);
        content.set_margin_bottom(18);
        content.set_margin_start(12);
        content.set_margin_end(12);
        content.append(&overview);
        let clamp = adw::Clamp::builder()
            .maximum_size(720)
            .child(&content)
            .build();
        let scroller = gtk::ScrolledWindow::builder()
            .hscrollbar_policy(gtk::PolicyType::Never)
            .child(&clamp)
            .build();
        stack
            .add_titled(&scroller, Some("overview"), &gettext("Overview"))
            .set_icon_name(Some("document-properties-symbolic"));

        let console = ConsoleTab::new();
        stack
            .add_titled(console.root(), Some("console"), &gettext("Console"))
            .set_icon_name(Some("video-display-symbolic"));

        let root = gtk::Box::new(gtk::Orientation::Vertical, 6);
        root.append(&header);
        root.append(&stack);
        root.append(&switcher);
        Self {
            root,
            stack,
            icon,
            title,
            subtitle,
            overview,
            rows: Vec::new(),
            console,
        }
    }

    fn add_row(&mut self, title: &str, value: &str) {
        let row = crate::ui::rows::value_row(title, value);
        self.overview.add(&row);
        self.rows.push(row.upcast());
    }

    /// Shows one machine: its fleet row and, when known, libvirt's facts about it.
    pub fn show(&mut self, vm: &VmSummary, info: Option<&DomainInfo>) {
        for row in self.rows.drain(..) {
            self.overview.remove(&row);
        }
        self.icon.set_icon_name(Some(fleet::state_icon(vm.state)));
        self.title.set_label(&vm.name);
        let state = vm
            .busy
            .clone()
            .unwrap_or_else(|| fleet::state_label(vm.state));
        self.subtitle
            .set_label(&format!("{state} · {}", vm.host_label));
        if !vm.title.is_empty() {
            self.add_row(&gettext("Title"), &vm.title);
        }
        self.add_row(&pgettext("column", "State"), &state);
        self.add_row(&pgettext("column", "Host"), &vm.host_label);
        self.add_row(&gettext("UUID"), &vm.uuid.to_string());
        let Some(info) = info else {
            return;
        };
        if let Some(description) = info.description.as_deref().filter(|d| !d.is_empty()) {
            self.add_row(&gettext("Description"), description);
        }
        self.add_row(
            &gettext("Virtual CPUs"),
            &if info.vcpus == info.max_vcpus || info.max_vcpus == 0 {
                info.vcpus.to_string()
            } else {
                format!("{} / {}", info.vcpus, info.max_vcpus)
            },
        );
        self.add_row(
            &pgettext("column", "Memory"),
            &if info.memory_kib == info.max_memory_kib {
                format_kib(info.memory_kib)
            } else {
                format!(
                    "{} / {}",
                    format_kib(info.memory_kib),
                    format_kib(info.max_memory_kib)
                )
            },
        );
        let yes_no = |value: bool| if value { gettext("Yes") } else { gettext("No") };
        self.add_row(&gettext("Starts with the host"), &yes_no(info.autostart));
        self.add_row(&gettext("Persistent"), &yes_no(info.persistent));
        if info.has_managed_save {
            self.add_row(
                &gettext("Saved state"),
                &gettext("Running it restores the saved memory"),
            );
        }
    }
}
