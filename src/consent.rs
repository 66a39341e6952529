//! FHIR R4 Consent in and out (to be written).
