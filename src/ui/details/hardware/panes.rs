//! The hardware tab's right-hand pane for each kind of entry: the CPU and memory editors with
//! their "now / at next boot" plan, the boot order list, and a device's properties, XML and
//! Remove button. Built anew when the selection or the definition changes; the editors'
//! values live in the tab's model, so a rebuild loses nothing.

use adw::prelude::*;
use relm4::prelude::*;

use hangar::details::Definition;
use hangar::details::boot::BootEditor;
use hangar::details::hardware::{HardwareEntry, HardwareId, Property};
use hangar::details::resources::{PlanError, ResourcePlan, ResourceState, Resources, when_label};
use hangar::driver::DomainInfo;
use hangar::i18n::{gettext, gettext_f};
use hangar::units::format_kib;

use super::super::source_view::XmlView;
use super::super::widgets::{ValueRow, content_box, page};
use super::{HardwareMsg, HardwareTab, msg};

/// Widgets the tab updates without rebuilding the pane.
#[derive(Default)]
pub struct PaneHandles {
    pub resource_plan: Option<gtk::Label>,
    pub resource_apply: Option<gtk::Button>,
    pub resource_revert: Option<gtk::Button>,
    pub boot_plan: Option<gtk::Label>,
    pub boot_apply: Option<gtk::Button>,
    pub boot_revert: Option<gtk::Button>,
}

/// What a pane is built from.
pub struct PaneContext<'a> {
    pub entry: &'a HardwareEntry,
    pub definition: &'a Definition,
    pub info: &'a DomainInfo,
    pub host_cpus: Option<u32>,
    pub resources: &'a ResourceState,
    pub form: &'a Resources,
    pub boot: Option<&'a BootEditor>,
    pub boot_base: Option<&'a Definition>,
    pub autostart: bool,
}

type Sender = ComponentSender<HardwareTab>;

/// The pane's width in pixels: room for a property row with a path, or a spin-button row.
const PANE_WIDTH: i32 = 480;

/// The pane for the selected entry.
pub fn build(context: &PaneContext<'_>, sender: &Sender) -> (gtk::Widget, PaneHandles) {
    let content = content_box();
    let header = gtk::Box::new(gtk::Orientation::Horizontal, 12);
    header.append(
        &gtk::Image::builder()
            .icon_name(context.entry.icon)
            .pixel_size(32)
            .build(),
    );
    header.append(
        &gtk::Label::builder()
            .label(&context.entry.label)
            .xalign(0.0)
            .wrap(true)
            .max_width_chars(40)
            .css_classes(["title-2"])
            .build(),
    );
    content.append(&header);
    let mut handles = PaneHandles::default();
    match context.entry.id {
        HardwareId::Cpus => cpus(context, sender, &content, &mut handles),
        HardwareId::Memory => memory(context, sender, &content, &mut handles),
        HardwareId::Boot => boot(context, sender, &content, &mut handles),
        HardwareId::Device(index) => device(context, index, sender, &content),
    }
    // A fixed width: the pane would otherwise take each entry's natural width, and the page
    // would jump as the selection moves.
    let page = page(&content);
    page.set_propagate_natural_width(false);
    page.set_width_request(PANE_WIDTH);
    (page.upcast(), handles)
}

fn properties_group(title: &str, properties: &[Property]) -> adw::PreferencesGroup {
    let group = adw::PreferencesGroup::builder().title(title).build();
    for property in properties {
        group.add(&ValueRow::with(&property.label, &property.value).row);
    }
    group
}

/// An action row with a spin button; `changed` gets the new value.
fn spin_row(
    title: &str,
    subtitle: Option<&str>,
    value: f64,
    upper: f64,
    changed: impl Fn(f64) + 'static,
) -> adw::ActionRow {
    let adjustment = gtk::Adjustment::new(value, 1.0, upper, 1.0, 16.0, 0.0);
    let spin = gtk::SpinButton::builder()
        .adjustment(&adjustment)
        .numeric(true)
        .valign(gtk::Align::Center)
        .width_chars(8)
        .build();
    crate::ui::a11y::set_label(&spin, title);
    spin.connect_value_changed(move |spin| changed(spin.value()));
    let row = adw::ActionRow::builder()
        .title(title)
        .activatable_widget(&spin)
        .build();
    if let Some(subtitle) = subtitle {
        row.set_subtitle(subtitle);
    }
    row.add_suffix(&spin);
    row
}

/// The plan group shared by the CPU and memory panes: what Apply will do, Revert and Apply.
fn plan_group(
    sender: &Sender,
    handles: &mut PaneHandles,
    apply: HardwareMsg,
    revert: HardwareMsg,
    boot: bool,
) -> adw::PreferencesGroup {
    let group = adw::PreferencesGroup::builder()
        .title(gettext("Pending Changes"))
        .build();
    // A bounded natural width keeps the page from growing with a long note.
    let label = gtk::Label::builder()
        .xalign(0.0)
        .wrap(true)
        .max_width_chars(56)
        .selectable(true)
        .margin_top(6)
        .margin_bottom(6)
        .build();
    let revert_button = gtk::Button::with_mnemonic(&gettext("Re_vert"));
    let apply_button = gtk::Button::builder()
        .label(gettext("_Apply"))
        .use_underline(true)
        .css_classes(["suggested-action"])
        .build();
    let sender_apply = sender.clone();
    apply_button.connect_clicked(move |_| sender_apply.input(msg(apply)));
    let sender_revert = sender.clone();
    revert_button.connect_clicked(move |_| sender_revert.input(msg(revert)));
    let buttons = gtk::Box::new(gtk::Orientation::Horizontal, 12);
    buttons.set_halign(gtk::Align::End);
    buttons.append(&revert_button);
    buttons.append(&apply_button);
    let column = gtk::Box::new(gtk::Orientation::Vertical, 6);
    column.append(&label);
    column.append(&buttons);
    group.add(&column);
    if boot {
        handles.boot_plan = Some(label);
        handles.boot_apply = Some(apply_button);
        handles.boot_revert = Some(revert_button);
    } else {
        handles.resource_plan = Some(label);
        handles.resource_apply = Some(apply_button);
        handles.resource_revert = Some(revert_button);
    }
    group
}

/// Writes a memory/vCPU plan into its label: the changes now, those at next boot, and why.
pub fn show_resource_plan(
    label: &gtk::Label,
    plan: &Result<ResourcePlan, PlanError>,
    active: bool,
) {
    label.remove_css_class("error");
    let escape = |text: &str| gtk::glib::markup_escape_text(text).to_string();
    let markup = match plan {
        Err(error) => {
            label.add_css_class("error");
            escape(&error.to_string())
        }
        Ok(plan) if plan.is_empty() => escape(&gettext("No changes.")),
        Ok(plan) => {
            let mut lines = Vec::new();
            for (now, changes) in [(true, &plan.now), (false, &plan.next_boot)] {
                if changes.is_empty() {
                    continue;
                }
                lines.push(format!("<b>{}</b>", escape(&when_label(now, active))));
                lines.extend(
                    changes
                        .iter()
                        .map(|change| format!("  • {}", escape(&change.describe()))),
                );
            }
            lines.extend(plan.notes.iter().map(|note| escape(note)));
            lines.join("\n")
        }
    };
    label.set_markup(&markup);
}

fn cpus(context: &PaneContext<'_>, sender: &Sender, content: &gtk::Box, handles: &mut PaneHandles) {
    let group = adw::PreferencesGroup::builder()
        .title(gettext("Virtual CPUs"))
        .build();
    if let Some(cpus) = context.host_cpus {
        group.set_description(Some(&gettext_f(
            "The host has {n} logical CPUs.",
            &[("n", &cpus.to_string())],
        )));
    }
    let current_sender = sender.clone();
    group.add(&spin_row(
        &gettext("Current vCPUs"),
        Some(&gettext("Online now, and at boot")),
        f64::from(context.form.vcpus),
        4096.0,
        move |value| current_sender.input(msg(HardwareMsg::Vcpus(value as u32))),
    ));
    let max_sender = sender.clone();
    group.add(&spin_row(
        &gettext("Maximum vCPUs"),
        Some(&gettext("The hot-plug limit; changes at next boot")),
        f64::from(context.form.max_vcpus),
        4096.0,
        move |value| max_sender.input(msg(HardwareMsg::MaxVcpus(value as u32))),
    ));
    if let Some(live) = context.resources.live {
        group.add(
            &ValueRow::with(
                &gettext("Running now"),
                &gettext_f(
                    "{current} of at most {maximum}",
                    &[
                        ("current", &live.vcpus.to_string()),
                        ("maximum", &live.max_vcpus.to_string()),
                    ],
                ),
            )
            .row,
        );
    }
    content.append(&group);
    content.append(&plan_group(
        sender,
        handles,
        HardwareMsg::ApplyResources,
        HardwareMsg::RevertResources,
        false,
    ));
    content.append(&properties_group(
        &gettext("Definition"),
        &context.entry.properties,
    ));
}

fn memory(
    context: &PaneContext<'_>,
    sender: &Sender,
    content: &gtk::Box,
    handles: &mut PaneHandles,
) {
    const MIB: u64 = 1024;
    let group = adw::PreferencesGroup::builder()
        .title(gettext("Memory (MiB)"))
        .build();
    let upper = (16u64 << 20) as f64; // 16 TiB in MiB
    let current_sender = sender.clone();
    group.add(&spin_row(
        &gettext("Current allocation"),
        Some(&gettext("What the guest may use now (balloon)")),
        (context.form.memory_kib / MIB) as f64,
        upper,
        move |value| current_sender.input(msg(HardwareMsg::Memory(value as u64 * MIB))),
    ));
    let max_sender = sender.clone();
    group.add(&spin_row(
        &gettext("Maximum allocation"),
        Some(&gettext(
            "The memory the machine boots with; changes at next boot",
        )),
        (context.form.max_memory_kib / MIB) as f64,
        upper,
        move |value| max_sender.input(msg(HardwareMsg::MaxMemory(value as u64 * MIB))),
    ));
    if let Some(live) = context.resources.live {
        group.add(
            &ValueRow::with(
                &gettext("Running now"),
                &gettext_f(
                    "{current} of at most {maximum}",
                    &[
                        ("current", &format_kib(live.memory_kib)),
                        ("maximum", &format_kib(live.max_memory_kib)),
                    ],
                ),
            )
            .row,
        );
    }
    content.append(&group);
    content.append(&plan_group(
        sender,
        handles,
        HardwareMsg::ApplyResources,
        HardwareMsg::RevertResources,
        false,
    ));
    content.append(&properties_group(
        &gettext("Definition"),
        &context.entry.properties,
    ));
}

fn icon_button(icon: &str, tooltip: &str, sensitive: bool) -> gtk::Button {
    let button = gtk::Button::builder()
        .icon_name(icon)
        .tooltip_text(tooltip)
        .valign(gtk::Align::Center)
        .css_classes(["flat"])
        .sensitive(sensitive)
        .build();
    crate::ui::a11y::set_label(&button, tooltip);
    button
}

fn boot(context: &PaneContext<'_>, sender: &Sender, content: &gtk::Box, handles: &mut PaneHandles) {
    let Some(editor) = context.boot else {
        return;
    };
    let group = adw::PreferencesGroup::builder()
        .title(gettext("Boot Order"))
        .description(if !context.info.persistent {
            gettext("A transient machine has no saved definition, so its boot order cannot change.")
        } else if editor.is_per_device() {
            gettext("Checked devices are tried in this order.")
        } else {
            gettext("Checked device types are tried in this order.")
        })
        .sensitive(context.info.persistent)
        .build();
    let count = editor.entries().len();
    for (index, entry) in editor.entries().iter().enumerate() {
        let check = gtk::CheckButton::builder()
            .active(entry.enabled)
            .valign(gtk::Align::Center)
            .build();
        crate::ui::a11y::set_label(&check, &entry.label);
        let toggle_sender = sender.clone();
        check.connect_toggled(move |check| {
            toggle_sender.input(msg(HardwareMsg::BootEnabled(index, check.is_active())))
        });
        let row = adw::ActionRow::builder()
            .title(&entry.label)
            .activatable_widget(&check)
            .build();
        // Prefixes are packed from the edge inwards: the check box comes out first.
        row.add_prefix(&gtk::Image::from_icon_name(entry.icon));
        row.add_prefix(&check);
        let up = icon_button("go-up-symbolic", &gettext("Move up"), index > 0);
        let down = icon_button("go-down-symbolic", &gettext("Move down"), index + 1 < count);
        let up_sender = sender.clone();
        up.connect_clicked(move |_| up_sender.input(msg(HardwareMsg::BootUp(index))));
        let down_sender = sender.clone();
        down.connect_clicked(move |_| down_sender.input(msg(HardwareMsg::BootDown(index))));
        row.add_suffix(&up);
        row.add_suffix(&down);
        group.add(&row);
    }
    let has_bootable_devices = context
        .boot_base
        .is_some_and(|base| base.domain.devices.iter().any(|d| d.can_boot()));
    if !editor.is_per_device() && has_bootable_devices {
        let per_device = gtk::Button::builder()
            .label(gettext("Choose _Individual Devices"))
            .use_underline(true)
            .css_classes(["flat"])
            .build();
        let per_device_sender = sender.clone();
        per_device
            .connect_clicked(move |_| per_device_sender.input(msg(HardwareMsg::BootPerDevice)));
        group.set_header_suffix(Some(&per_device));
    }
    content.append(&group);

    let start = adw::PreferencesGroup::new();
    let switch = gtk::Switch::builder()
        .active(context.autostart)
        .valign(gtk::Align::Center)
        .build();
    let switch_sender = sender.clone();
    switch.connect_active_notify(move |switch| {
        switch_sender.input(msg(HardwareMsg::Autostart(switch.is_active())))
    });
    let row = adw::ActionRow::builder()
        .title(gettext("Start with the host"))
        .subtitle(gettext("Boot this machine when the host starts"))
        .activatable_widget(&switch)
        .build();
    row.add_suffix(&switch);
    start.add(&row);
    content.append(&start);
    content.append(&plan_group(
        sender,
        handles,
        HardwareMsg::ApplyBoot,
        HardwareMsg::RevertBoot,
        true,
    ));
    content.append(&properties_group(
        &gettext("Definition"),
        &context.entry.properties,
    ));
}

fn device(context: &PaneContext<'_>, index: usize, sender: &Sender, content: &gtk::Box) {
    let entry = context.entry;
    let group = properties_group(&gettext("Properties"), &entry.properties);
    if !entry.known {
        group.set_description(Some(&gettext(
            "Hangar does not know this kind of device; its XML below is as libvirt keeps it.",
        )));
    }
    content.append(&group);
    if let Some(xml) = &entry.xml {
        let view = XmlView::new(false);
        view.set_text(xml);
        let scroller = gtk::ScrolledWindow::builder()
            .vscrollbar_policy(gtk::PolicyType::Never)
            .propagate_natural_height(true)
            .child(&view.view)
            .build();
        let frame = gtk::Frame::builder().child(&scroller).build();
        let expander = gtk::Expander::builder()
            .label(gettext("XML"))
            .expanded(!entry.known)
            .child(&frame)
            .build();
        content.append(&expander);
    }
    if entry.removable {
        let remove = gtk::Button::builder()
            .label(gettext("_Remove Device"))
            .use_underline(true)
            .halign(gtk::Align::End)
            .css_classes(["destructive-action"])
            .build();
        let persistent_only = context.info.persistent && !context.definition.secure;
        remove.set_sensitive(!persistent_only);
        let remove_sender = sender.clone();
        remove.connect_clicked(move |_| remove_sender.input(msg(HardwareMsg::Remove(index))));
        content.append(&remove);
    }
}
