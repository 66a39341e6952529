//! The contracts' ABIs, as alloy bindings, and the calldata of the registry's `verify*`
//! functions (their input arrays differ in length per statement, so they are encoded from
//! their signature rather than bound one by one).

#![allow(missing_docs, clippy::too_many_arguments)]

use alloy::primitives::{keccak256, Address, U256};

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

    /// The generated `ZkconsentRegistry` (`zkconsent export contracts`): the calls and
    /// events the client uses, and every error.
    #[sol(rpc)]
    interface ZkconsentRegistry {
        event LeafSet(uint256 indexed index, uint256 leaf, uint256 root);
        event GrantIssued(uint256 indexed index, uint256 indexed commitment, uint256 root, uint256[8] proof);
        event GrantRevoked(uint256 indexed index, uint256 indexed commitment, uint256 root, uint256[8] proof);
        event CustodianSet(address indexed custodian, bool allowed);
        event RecordsAnchored(address indexed custodian, uint256 firstIndex, uint256[] leaves, uint256[] superseded, uint256 root);
        event RequestOpened(address indexed requester, uint256 indexed requestHash, bytes32 terms);
        event ProofAccepted(uint256 indexed statement, address indexed requester, uint256 indexed requestHash);

        error IndexOutOfRange(uint256 index);
        error NotInField(uint256 value);
        error NotAdmin();
        error NotCustodian(address who);
        error BadCommitment(uint256 commitment);
        error AlreadyIssued(uint256 commitment);
        error TreeFull();
        error UnknownGrant(uint256 index);
        error AlreadyRevoked(uint256 index);
        error RecordsMoved(uint256 expected, uint256 current);
        error NoLeaves();
        error UnknownRecord(uint256 index);
        error AlreadySuperseded(uint256 index);
        error UnknownRoot(uint256 root);
        error StaleRoot(uint256 root);
        error ClockSkew(uint256 proofNow, uint256 blockTime);
        error RequestNotOpen(uint256 requestHash);
        error Replay(uint256 requestHash);
        error NullifierSpent(uint256 nullifier);
        error InvalidProof();

        function root() external view returns (uint256);
        function recordsRoot() external view returns (uint256);
        function grantCount() external view returns (uint256);
        function leaf(uint256 index) external view returns (uint256);
        function isGrantsRootAcceptable(uint256 r) external view returns (bool);
        function issueGrant(uint256[2] calldata a, uint256[2][2] calldata b, uint256[2] calldata c, uint256 commitment) external returns (uint256 index);
        function revokeGrant(uint256[2] calldata a, uint256[2][2] calldata b, uint256[2] calldata c, uint256 index) external;
        function setCustodian(address custodian, bool allowed) external;
        function anchorRecords(uint256 rootBefore, uint256[] calldata leaves, uint256[] calldata superseded, uint256 rootAfter) external;
        function openRequest(uint256 requestHash, bytes32[] calldata accepted) external;
    }
}

/// Words of a proof: a (2), b (4), c (2).
pub const PROOF_WORDS: usize = 8;
/// Public inputs of an Access proof.
pub const ACCESS_INPUTS: usize = 7;
/// Words of the Access verifier's `verifyProof` arguments: proof, inputs.
pub const ACCESS_WORDS: usize = PROOF_WORDS + ACCESS_INPUTS;

/// `verifyProof`'s arguments from their flat words (`EvmArgs::words` order).
pub(crate) type ProofArgs = ([U256; 2], [[U256; 2]; 2], [U256; 2], [U256; ACCESS_INPUTS]);

/// Splits the flat words into `verifyProof`'s arguments.
pub(crate) fn proof_args(words: &[U256; ACCESS_WORDS]) -> ProofArgs {
    let [a0, a1, b00, b01, b10, b11, c0, c1, input @ ..] = *words;
    ([a0, a1], [[b00, b01], [b10, b11]], [c0, c1], input)
}

/// A proof's a, b and c from its words.
pub(crate) fn proof_parts(w: &[U256; PROOF_WORDS]) -> ([U256; 2], [[U256; 2]; 2], [U256; 2]) {
    ([w[0], w[1]], [[w[2], w[3]], [w[4], w[5]]], [w[6], w[7]])
}

/// Calldata of the registry's `verify<Statement>(a, b, c, input, requester)`, e.g.
/// `function = "verifyAccess"`: every argument is static, so it is the selector of the
/// signature, the proof's and inputs' words, and the requester as a word.
#[must_use]
pub fn verify_calldata(function: &str, words: &[U256], requester: Address) -> Vec<u8> {
    let inputs = words.len().saturating_sub(PROOF_WORDS);
    let signature =
        format!("{function}(uint256[2],uint256[2][2],uint256[2],uint256[{inputs}],address)");
    let mut data = selector(&signature).to_vec();
    for w in words {
        data.extend_from_slice(&w.to_be_bytes::<32>());
    }
    data.extend_from_slice(&[0u8; 12]);
    data.extend_from_slice(requester.as_slice());
    data
}

/// A verifier's `verifyProof(a, b, c, input)` calldata for a proof's words and its inputs.
#[must_use]
pub fn verify_proof_calldata(words: &[U256]) -> Vec<u8> {
    let inputs = words.len().saturating_sub(PROOF_WORDS);
    let signature = format!("verifyProof(uint256[2],uint256[2][2],uint256[2],uint256[{inputs}])");
    let mut data = selector(&signature).to_vec();
    for w in words {
        data.extend_from_slice(&w.to_be_bytes::<32>());
    }
    data
}

/// Gas a transaction pays for its calldata (EIP-2028: 4 a zero byte, 16 any other).
#[must_use]
pub fn calldata_gas(data: &[u8]) -> u64 {
    data.iter().map(|&b| if b == 0 { 4 } else { 16 }).sum()
}

/// Base gas of every transaction.
pub const TX_BASE_GAS: u64 = 21_000;
/// EIP-1108: a pairing check of `k` pairs costs 45,000 + 34,000 k; Groth16 checks 4 pairs.
pub const PAIRING_FLOOR_GAS: u64 = 45_000 + 34_000 * 4;
/// EIP-1108: one ecMul and one ecAdd per public input.
pub const PER_INPUT_FLOOR_GAS: u64 = 6_000 + 150;

/// The EIP-1108 floor of a Groth16 verification with `inputs` public inputs: the
/// precompiles alone (181,000 + 6,150 per input).
#[must_use]
pub fn groth16_floor_gas(inputs: usize) -> u64 {
    PAIRING_FLOOR_GAS + PER_INPUT_FLOOR_GAS * inputs as u64
}

/// A function's selector: the first four bytes of the keccak256 of its signature.
#[must_use]
pub fn selector(signature: &str) -> [u8; 4] {
    let hash = keccak256(signature.as_bytes());
    [hash[0], hash[1], hash[2], hash[3]]
}
