//! Tests of the VRRP section.
