//! Accessible names and descriptions for widgets that show no text of their own (icon buttons,
//! value rows), so screen readers and AT-SPI tests can find them by name.
//!
//! gtk4-rs only wraps `gtk_accessible_update_property_value` from GTK 4.10 on, but the function
//! is part of GTK since 4.0 (Debian 12's GTK 4.8 exports it), so it is declared here.

use gtk::ffi::{
    GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, GTK_ACCESSIBLE_PROPERTY_LABEL, GtkAccessible,
    GtkAccessibleProperty,
};
use gtk::glib;
use gtk::glib::translate::ToGlibPtr;
use gtk::prelude::*;

unsafe extern "C" {
    fn gtk_accessible_update_property_value(
        accessible: *mut GtkAccessible,
        n_properties: std::ffi::c_int,
        properties: *mut GtkAccessibleProperty,
        values: *const glib::gobject_ffi::GValue,
    );
}

fn update(widget: &impl IsA<gtk::Widget>, property: GtkAccessibleProperty, text: &str) {
    let mut properties = [property];
    let value = text.to_value();
    let widget: *mut gtk::ffi::GtkWidget = widget.as_ref().to_glib_none().0;
    // SAFETY: every GtkWidget implements the GtkAccessible interface, and a GObject interface
    // pointer is the instance pointer, so the cast is valid; the widget is borrowed (alive) for
    // the call. `properties` and the one GValue holding a string are valid for the call and
    // match `n_properties` = 1; GTK copies the value and keeps no pointer to either array.
    unsafe {
        gtk_accessible_update_property_value(
            widget.cast::<GtkAccessible>(),
            1,
            properties.as_mut_ptr(),
            value.to_glib_none().0,
        );
    }
}

/// Sets the name a screen reader announces for `widget`.
pub fn set_label(widget: &impl IsA<gtk::Widget>, text: &str) {
    update(widget, GTK_ACCESSIBLE_PROPERTY_LABEL, text);
}

/// Sets the description a screen reader announces after the name.
pub fn set_description(widget: &impl IsA<gtk::Widget>, text: &str) {
    update(widget, GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, text);
}
