//! Connection and console passwords in the Secret Service, through `keyring`.
