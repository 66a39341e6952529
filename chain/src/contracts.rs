//! The contracts' ABIs, as alloy bindings.

#![allow(missing_docs, clippy::too_many_arguments)]

alloy::sol! {
    /// The generated Access verifier (`zkconsent export solidity --statement access`).
    #[sol(rpc)]
    interface IAccessVerifier {
        function verifyProof(
            uint256[2] calldata a,
            uint256[2][2] calldata b,
            uint256[2] calldata c,
            uint256[7] calldata input
        ) external view returns (bool);
    }

    /// `contracts/ConsentRegistry.sol`.
    #[sol(rpc)]
    interface ConsentRegistry {
        event RootPosted(uint256 indexed root, uint256 timestamp);
        event AccessVerified(
            uint256 indexed requestHash,
            uint256 indexed accessTag,
            uint256 grantsRoot,
            uint256 scope,
            uint256 purpose,
            uint256 patientRef
        );

        error NotOperator();
        error UnknownRoot(uint256 root);
        error StaleRoot(uint256 root);
        error ClockSkew(uint256 proofNow, uint256 blockTime);
        error Replay(uint256 requestHash);
        error InvalidProof();

        function postRoot(uint256 root) external;
        function currentRoot() external view returns (uint256);
        function isRootAcceptable(uint256 root) external view returns (bool);
        function verifyAccess(
            uint256[2] calldata a,
            uint256[2][2] calldata b,
            uint256[2] calldata c,
            uint256[7] calldata input
        ) external returns (bool);
    }
}

/// Public inputs of an Access proof.
pub const ACCESS_INPUTS: usize = 7;
/// Words of `verifyProof`'s arguments: a (2), b (4), c (2), inputs.
pub const ACCESS_WORDS: usize = 8 + ACCESS_INPUTS;

/// `verifyProof`'s arguments from their flat words (`EvmArgs::words` order).
pub(crate) type ProofArgs = ([U256; 2], [[U256; 2]; 2], [U256; 2], [U256; ACCESS_INPUTS]);

use alloy::primitives::U256;

/// Splits the flat words into `verifyProof`'s arguments.
pub(crate) fn proof_args(words: &[U256; ACCESS_WORDS]) -> ProofArgs {
    let w = words;
    let mut input = [U256::ZERO; ACCESS_INPUTS];
    input.copy_from_slice(&w[8..]);
    (
        [w[0], w[1]],
        [[w[2], w[3]], [w[4], w[5]]],
        [w[6], w[7]],
        input,
    )
}
