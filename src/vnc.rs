//! GTK-free VNC console session on vnc-rs: transport, framebuffer and input mapping.
