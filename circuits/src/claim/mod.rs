//! Statement 3, Claim (insurers): being written.
