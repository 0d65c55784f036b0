//! Architecture-specific code. Only x86_64 exists; the indirection keeps the
//! rest of the kernel honest about what is architecture-specific.

pub mod x86_64;
