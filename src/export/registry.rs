//! The on-chain registry with no trusted operator (issue 17): `ZkconsentRegistry`, generated
//! from the statements' public-input roles, so a check the off-chain verifier makes is never
//! forgotten on chain.
//!
//! - **Grants** live in the inherited [`super::grants_tree`]: `issueGrant` appends a leaf and
//!   `revokeGrant` zeroes one only with a verifying authority proof for exactly that action
//!   and leaf, and the contract computes every new root itself. Nobody can post a root, so a
//!   forged grants root is impossible, not merely detectable. Each update touches only its own
//!   path, so many patients' updates land in one block.
//! - **Records** roots are posted by custodians the admin registered, with the appended
//!   leaves in the event, so replicas rebuild the tree and check the root; a custodian anchors
//!   on top of the current root only (compare-and-swap), so two custodians never overwrite
//!   each other. The admin manages custodians and nothing else.
//! - **Requests** are opened by their verifier (`openRequest`) with digests of the terms it
//!   accepts ([`terms_digest`]); a proof is accepted for a request only with those terms, once
//!   (replay is keyed on the request hash, a public input, never on proof bytes).
//! - **`verify<Statement>`** checks, by input role: roots under the off-chain policy (current,
//!   followed only by appends, or within `maxRootAge` of the first removal after it), the
//!   proof's time within `maxClockSkew` of the block, terms, the request, an unspent
//!   nullifier; then the pairing; then records the answer and spends the nullifier.

use std::fmt::Write as _;
use zkconsent_circuits::{merkle, statement::InputRole};
use zkconsent_prover::Statement;
use zkconsent_verifier::fr_to_decimal;

use super::{
    solidity::{contract_name, PRAGMA},
    ExportError,
};
use crate::{home::Home, request::Request, statements::TermValue};
use std::path::{Path, PathBuf};

/// The registry contract's name.
pub const REGISTRY_CONTRACT: &str = "ZkconsentRegistry";
/// The file the registry imports the grants tree from.
pub const GRANTS_TREE_FILE: &str = "ZkconsentGrantsTree.sol";
/// Words of a proof before its inputs: a (2), b (4), c (2).
pub const PROOF_WORDS: usize = 8;

/// A statement's code on chain: its position in [`Statement::ALL`] (stable: new statements
/// go at the end).
#[must_use]
pub fn statement_code(statement: Statement) -> u64 {
    Statement::ALL
        .iter()
        .position(|s| *s == statement)
        .map_or(u64::MAX, |i| i as u64)
}

/// The digest a request's verifier opens it with, for one accepted combination of term
/// values: `keccak256` of the 32-byte big-endian words `[statement code, term values in
/// input order]` (Solidity's `abi.encode` of those words).
#[must_use]
pub fn terms_digest(statement: Statement, terms: &[zkconsent_verifier::Fr]) -> [u8; 32] {
    use ark_ff::{BigInteger, PrimeField};
    use sha3::{Digest, Keccak256};
    let mut hasher = Keccak256::new();
    let mut code = [0u8; 32];
    code[24..].copy_from_slice(&statement_code(statement).to_be_bytes());
    hasher.update(code);
    for term in terms {
        hasher.update(term.into_bigint().to_bytes_be());
    }
    hasher.finalize().into()
}

/// Every terms digest a request accepts ([`terms_digest`] of each combination of its term
/// values, in input order: a term that admits one of several values gives one digest per
/// value), what its verifier passes to `openRequest`.
///
/// # Errors
///
/// Terms that cannot be encoded (as `Terms::term_values`), or more than
/// [`MAX_OPEN_DIGESTS`] combinations.
pub fn request_digests(request: &Request) -> Result<Vec<[u8; 32]>, String> {
    let mut terms = request.terms.term_values(request.verifier)?;
    terms.sort_by_key(|(offset, _)| *offset);
    let mut combinations: Vec<Vec<zkconsent_verifier::Fr>> = vec![Vec::new()];
    for (_, value) in terms {
        let options = match value {
            TermValue::Equal(v) => vec![v],
            TermValue::OneOf(vs) => vs,
        };
        combinations = combinations
            .iter()
            .flat_map(|prefix| {
                options.iter().map(move |v| {
                    let mut next = prefix.clone();
                    next.push(*v);
                    next
                })
            })
            .collect();
        if combinations.len() > MAX_OPEN_DIGESTS {
            return Err(format!(
                "the request admits more than {MAX_OPEN_DIGESTS} combinations of terms"
            ));
        }
    }
    let statement = request.statement();
    Ok(combinations
        .iter()
        .map(|terms| terms_digest(statement, terms))
        .collect())
}

/// Most terms digests one request opens on chain (each costs a storage slot).
pub const MAX_OPEN_DIGESTS: usize = 64;

/// The registry function that verifies `statement` on chain (`verifyAccess`…); `None` for
/// the authority statement, which gates grant updates instead.
#[must_use]
pub fn verify_function(statement: Statement) -> Option<String> {
    (statement != Statement::Authority).then(|| format!("verify{}", camel(statement)))
}

/// The statements verified on chain (the authority statement gates grant updates instead).
fn verified_statements() -> impl Iterator<Item = Statement> {
    Statement::ALL
        .into_iter()
        .filter(|s| *s != Statement::Authority)
}

/// `Access` from `access`.
fn camel(statement: Statement) -> String {
    let name = contract_name(statement.name());
    name["Zkconsent".len()..name.len() - "Verifier".len()].to_string()
}

/// `access` → `accessVerifier`.
fn verifier_field(statement: Statement) -> String {
    format!("{}Verifier", statement.name())
}

/// The Solidity source of `ZkconsentRegistry` for trees of `depth` levels. It imports
/// `ZkconsentGrantsTree.sol` ([`super::grants_tree::render_grants_tree`] at the same depth)
/// from its own directory.
#[must_use]
pub fn render_registry(depth: usize) -> String {
    let empty_root = fr_to_decimal(&merkle::zero_hashes(depth)[depth]);
    let mut s = String::new();
    let w = &mut s;
    macro_rules! line {
        ($($arg:tt)*) => { let _ = writeln!(w, $($arg)*); };
    }
    line!("// SPDX-License-Identifier: MIT OR Apache-2.0");
    line!("// Generated by zkconsent: do not edit.");
    line!("pragma solidity {PRAGMA};");
    line!();
    line!("import \"./{GRANTS_TREE_FILE}\";");
    line!();
    for statement in Statement::ALL {
        let n = statement.input_names().len();
        line!(
            "/// @notice The generated {} verifier (`zkconsent export solidity`).",
            statement.name()
        );
        line!("interface I{} {{", contract_name(statement.name()));
        line!("    function verifyProof(uint256[2] calldata a, uint256[2][2] calldata b, uint256[2] calldata c, uint256[{n}] calldata input) external view returns (bool);");
        line!("}}");
        line!();
    }
    line!(
        "/// @title zkconsent registry (depth {depth}): grants, records and requests, no operator"
    );
    line!("/// @notice Grants change only with the patient's authority proof and the contract");
    line!("/// computes every root; records roots come from registered custodians; proofs are");
    line!("/// checked by input role like the off-chain verifier. Every refusal reverts with a");
    line!("/// named error.");
    line!("contract {REGISTRY_CONTRACT} is ZkconsentGrantsTree {{");
    line!("    /// @dev A root this tree had: how many removals happened before it was set.");
    line!("    struct RootInfo {{");
    line!("        uint64 removalsBefore;");
    line!("        bool known;");
    line!("    }}");
    line!();
    for statement in Statement::ALL {
        line!(
            "    uint256 public constant {} = {};",
            statement.name().to_ascii_uppercase(),
            statement_code(statement)
        );
    }
    line!(
        "    uint256 internal constant ISSUE = {};",
        zkconsent_circuits::authority::GrantAction::ISSUE_CODE
    );
    line!(
        "    uint256 internal constant REVOKE = {};",
        zkconsent_circuits::authority::GrantAction::REVOKE_CODE
    );
    line!();
    line!("    address public immutable admin;");
    for statement in Statement::ALL {
        line!(
            "    I{} public immutable {};",
            contract_name(statement.name()),
            verifier_field(statement)
        );
    }
    line!("    /// @notice A superseded root is accepted while the first removal after it is");
    line!("    /// younger than this; a root followed only by appends at any age.");
    line!("    uint64 public immutable maxRootAge;");
    line!("    /// @notice Largest accepted distance between a proof's time and the block's.");
    line!("    uint64 public immutable maxClockSkew;");
    line!();
    line!("    /// @notice Grant leaves used so far (the next grant's index).");
    line!("    uint256 public grantCount;");
    line!("    /// @notice Commitment => its leaf index + 1 (0: never issued). A commitment is");
    line!(
        "    /// issued at most once, ever, so a revoked grant's issue proof cannot reinstate it."
    );
    line!("    mapping(uint256 => uint256) public grantSlot;");
    line!("    mapping(uint256 => RootInfo) public grantRoots;");
    line!("    uint64 public grantRemovals;");
    line!("    /// @notice Removal number => its time.");
    line!("    mapping(uint64 => uint64) public grantRemovalAt;");
    line!();
    line!("    uint256 public recordsRoot;");
    line!("    uint256 public recordCount;");
    line!("    mapping(uint256 => RootInfo) public recordRoots;");
    line!("    /// @notice Anchorings that superseded records so far, and when each happened.");
    line!("    uint64 public recordRemovals;");
    line!("    mapping(uint64 => uint64) public recordRemovalAt;");
    line!("    /// @notice Record leaf index => superseded (its leaf emptied by a newer version).");
    line!("    mapping(uint256 => bool) public recordSuperseded;");
    line!("    mapping(address => bool) public isCustodian;");
    line!();
    line!("    /// @dev keccak256(requester, requestHash, termsDigest) => opened.");
    line!("    mapping(bytes32 => bool) internal openTerms;");
    line!("    /// @notice Request hash => answered.");
    line!("    mapping(uint256 => bool) public answered;");
    line!("    /// @dev keccak256(statement, nullifier) => spent.");
    line!("    mapping(bytes32 => bool) internal spent;");
    line!();
    line!(
        "    /// @notice `proof`: the authority proof's words (a, b, c), so that replicas rebuilt"
    );
    line!("    /// from events alone verify every change again.");
    line!(
        "    event GrantIssued(uint256 indexed index, uint256 indexed commitment, uint256 root, uint256[8] proof);"
    );
    line!(
        "    event GrantRevoked(uint256 indexed index, uint256 indexed commitment, uint256 root, uint256[8] proof);"
    );
    line!("    event CustodianSet(address indexed custodian, bool allowed);");
    line!("    event RecordsAnchored(address indexed custodian, uint256 firstIndex, uint256[] leaves, uint256[] superseded, uint256 root);");
    line!("    event RequestOpened(address indexed requester, uint256 indexed requestHash, bytes32 terms);");
    line!("    event ProofAccepted(uint256 indexed statement, address indexed requester, uint256 indexed requestHash);");
    line!();
    line!("    error NotAdmin();");
    line!("    error NotCustodian(address who);");
    line!("    error BadCommitment(uint256 commitment);");
    line!("    error AlreadyIssued(uint256 commitment);");
    line!("    error TreeFull();");
    line!("    error UnknownGrant(uint256 index);");
    line!("    error AlreadyRevoked(uint256 index);");
    line!("    error RecordsMoved(uint256 expected, uint256 current);");
    line!("    error NoLeaves();");
    line!("    error UnknownRecord(uint256 index);");
    line!("    error AlreadySuperseded(uint256 index);");
    line!("    error UnknownRoot(uint256 root);");
    line!("    error StaleRoot(uint256 root);");
    line!("    error ClockSkew(uint256 proofNow, uint256 blockTime);");
    line!("    error RequestNotOpen(uint256 requestHash);");
    line!("    error Replay(uint256 requestHash);");
    line!("    error NullifierSpent(uint256 nullifier);");
    line!("    error InvalidProof();");
    line!();
    let ctor_args: Vec<String> = Statement::ALL
        .iter()
        .map(|s| format!("I{} {}_", contract_name(s.name()), verifier_field(*s)))
        .collect();
    line!(
        "    constructor({}, uint64 maxRootAge_, uint64 maxClockSkew_) {{",
        ctor_args.join(", ")
    );
    line!("        admin = msg.sender;");
    for statement in Statement::ALL {
        let f = verifier_field(statement);
        line!("        {f} = {f}_;");
    }
    line!("        maxRootAge = maxRootAge_;");
    line!("        maxClockSkew = maxClockSkew_;");
    line!("        grantRoots[root] = RootInfo({{removalsBefore: 0, known: true}});");
    line!("        recordsRoot = {empty_root};");
    line!("        recordRoots[recordsRoot] = RootInfo({{removalsBefore: 0, known: true}});");
    line!("    }}");
    line!();
    render_grant_updates(w);
    render_records(w);
    render_requests_and_policy(w);
    for statement in verified_statements() {
        render_verify(w, statement);
    }
    line!("}}");
    s
}

fn render_grant_updates(w: &mut String) {
    macro_rules! line {
        ($($arg:tt)*) => { let _ = writeln!(w, $($arg)*); };
    }
    line!("    /// @notice Appends `commitment` at the next index, with the patient's authority");
    line!(
        "    /// proof for (issue, commitment). Anyone may submit it: the proof is the permission."
    );
    line!("    function issueGrant(uint256[2] calldata a, uint256[2][2] calldata b, uint256[2] calldata c, uint256 commitment) external returns (uint256 index) {{");
    line!("        if (commitment == 0 || commitment >= R) revert BadCommitment(commitment);");
    line!("        if (grantSlot[commitment] != 0) revert AlreadyIssued(commitment);");
    line!("        index = grantCount;");
    line!("        if (index >> DEPTH != 0) revert TreeFull();");
    line!("        if (!authorityVerifier.verifyProof(a, b, c, [ISSUE, commitment])) revert InvalidProof();");
    line!("        grantCount = index + 1;");
    line!("        grantSlot[commitment] = index + 1;");
    line!("        uint256 newRoot = _setLeaf(index, commitment);");
    line!(
        "        grantRoots[newRoot] = RootInfo({{removalsBefore: grantRemovals, known: true}});"
    );
    line!("        emit GrantIssued(index, commitment, newRoot, _proofWords(a, b, c));");
    line!("    }}");
    line!();
    line!(
        "    /// @notice Zeroes leaf `index`, with the patient's authority proof for (revoke, its"
    );
    line!("    /// commitment). Older roots stay acceptable for maxRootAge.");
    line!("    function revokeGrant(uint256[2] calldata a, uint256[2][2] calldata b, uint256[2] calldata c, uint256 index) external {{");
    line!("        if (index >= grantCount) revert UnknownGrant(index);");
    line!("        uint256 commitment = leaf(index);");
    line!("        if (commitment == 0) revert AlreadyRevoked(index);");
    line!("        if (!authorityVerifier.verifyProof(a, b, c, [REVOKE, commitment])) revert InvalidProof();");
    line!("        uint256 newRoot = _setLeaf(index, 0);");
    line!("        grantRemovalAt[grantRemovals] = uint64(block.timestamp);");
    line!("        grantRemovals += 1;");
    line!(
        "        grantRoots[newRoot] = RootInfo({{removalsBefore: grantRemovals, known: true}});"
    );
    line!("        emit GrantRevoked(index, commitment, newRoot, _proofWords(a, b, c));");
    line!("    }}");
    line!();
    line!("    function _proofWords(uint256[2] calldata a, uint256[2][2] calldata b, uint256[2] calldata c) internal pure returns (uint256[8] memory) {{");
    line!("        return [a[0], a[1], b[0][0], b[0][1], b[1][0], b[1][1], c[0], c[1]];");
    line!("    }}");
    line!();
}

fn render_records(w: &mut String) {
    macro_rules! line {
        ($($arg:tt)*) => { let _ = writeln!(w, $($arg)*); };
    }
    line!("    /// @notice Lets `custodian` anchor records, or stops it (admin only).");
    line!("    function setCustodian(address custodian, bool allowed) external {{");
    line!("        if (msg.sender != admin) revert NotAdmin();");
    line!("        isCustodian[custodian] = allowed;");
    line!("        emit CustodianSet(custodian, allowed);");
    line!("    }}");
    line!();
    line!(
        "    /// @notice Appends `leaves` to the records tree whose root is `rootBefore` and empties"
    );
    line!("    /// the `superseded` leaves (older versions of those records), making `rootAfter`");
    line!("    /// current (registered custodians only). Leaves and indices are logged, so every");
    line!("    /// replica recomputes `rootAfter` and refuses a custodian whose root is wrong. A");
    line!("    /// superseding anchoring ages the roots before it, as a revocation does.");
    line!("    function anchorRecords(uint256 rootBefore, uint256[] calldata leaves, uint256[] calldata superseded, uint256 rootAfter) external {{");
    line!("        if (!isCustodian[msg.sender]) revert NotCustodian(msg.sender);");
    line!("        if (rootBefore != recordsRoot) revert RecordsMoved(rootBefore, recordsRoot);");
    line!("        if (leaves.length == 0) revert NoLeaves();");
    line!("        if (rootAfter >= R) revert NotInField(rootAfter);");
    line!("        uint256 first = recordCount;");
    line!("        if ((first + leaves.length - 1) >> DEPTH != 0) revert TreeFull();");
    line!("        for (uint256 i = 0; i < leaves.length; i++) {{");
    line!("            if (leaves[i] == 0 || leaves[i] >= R) revert NotInField(leaves[i]);");
    line!("        }}");
    line!("        for (uint256 i = 0; i < superseded.length; i++) {{");
    line!("            uint256 index = superseded[i];");
    line!("            if (index >= first) revert UnknownRecord(index);");
    line!("            if (recordSuperseded[index]) revert AlreadySuperseded(index);");
    line!("            recordSuperseded[index] = true;");
    line!("        }}");
    line!("        recordCount = first + leaves.length;");
    line!("        recordsRoot = rootAfter;");
    line!("        if (superseded.length != 0) {{");
    line!("            recordRemovalAt[recordRemovals] = uint64(block.timestamp);");
    line!("            recordRemovals += 1;");
    line!("        }}");
    line!("        recordRoots[rootAfter] = RootInfo({{removalsBefore: recordRemovals, known: true}});");
    line!("        emit RecordsAnchored(msg.sender, first, leaves, superseded, rootAfter);");
    line!("    }}");
    line!();
}

fn render_requests_and_policy(w: &mut String) {
    macro_rules! line {
        ($($arg:tt)*) => { let _ = writeln!(w, $($arg)*); };
    }
    line!("    /// @notice Opens `requestHash` for proofs whose terms hash to one of `accepted`");
    line!("    /// (keccak256 of the statement code and the term inputs, in input order); proofs");
    line!("    /// name their requester, so nobody else can open a request with laxer terms.");
    line!("    function openRequest(uint256 requestHash, bytes32[] calldata accepted) external {{");
    line!("        if (answered[requestHash]) revert Replay(requestHash);");
    line!("        for (uint256 i = 0; i < accepted.length; i++) {{");
    line!("            openTerms[keccak256(abi.encode(msg.sender, requestHash, accepted[i]))] = true;");
    line!("            emit RequestOpened(msg.sender, requestHash, accepted[i]);");
    line!("        }}");
    line!("    }}");
    line!();
    line!("    /// @notice Whether a proof against grants root `r` is accepted now.");
    line!("    function isGrantsRootAcceptable(uint256 r) public view returns (bool) {{");
    line!("        RootInfo memory info = grantRoots[r];");
    line!("        return info.known && _youngEnough(info);");
    line!("    }}");
    line!();
    line!("    /// @dev No revocation since the root, or the first one within maxRootAge.");
    line!("    function _youngEnough(RootInfo memory info) internal view returns (bool) {{");
    line!("        if (info.removalsBefore == grantRemovals) return true;");
    line!("        return block.timestamp < uint256(grantRemovalAt[info.removalsBefore]) + maxRootAge;");
    line!("    }}");
    line!();
    line!("    /// @notice Whether a proof against records root `r` is accepted now: a root the");
    line!("    /// registry had, with no superseding anchoring since, or the first within maxRootAge.");
    line!("    function isRecordsRootAcceptable(uint256 r) public view returns (bool) {{");
    line!("        RootInfo memory info = recordRoots[r];");
    line!("        return info.known && _recordsYoungEnough(info);");
    line!("    }}");
    line!();
    line!("    function _recordsYoungEnough(RootInfo memory info) internal view returns (bool) {{");
    line!("        if (info.removalsBefore == recordRemovals) return true;");
    line!("        return block.timestamp < uint256(recordRemovalAt[info.removalsBefore]) + maxRootAge;");
    line!("    }}");
    line!();
    line!("    function _checkGrantsRoot(uint256 r) internal view {{");
    line!("        RootInfo memory info = grantRoots[r];");
    line!("        if (!info.known) revert UnknownRoot(r);");
    line!("        if (!_youngEnough(info)) revert StaleRoot(r);");
    line!("    }}");
    line!();
    line!("    function _checkRecordsRoot(uint256 r) internal view {{");
    line!("        RootInfo memory info = recordRoots[r];");
    line!("        if (!info.known) revert UnknownRoot(r);");
    line!("        if (!_recordsYoungEnough(info)) revert StaleRoot(r);");
    line!("    }}");
    line!();
    line!("    function _checkTime(uint256 proofNow) internal view {{");
    line!("        uint256 t = block.timestamp;");
    line!("        if ((proofNow > t ? proofNow - t : t - proofNow) > maxClockSkew) revert ClockSkew(proofNow, t);");
    line!("    }}");
    line!();
    line!("    /// @dev The request is open with these terms for `requester`, and unanswered.");
    line!("    function _checkRequest(address requester, uint256 requestHash, bytes32 terms) internal view {{");
    line!("        if (!openTerms[keccak256(abi.encode(requester, requestHash, terms))]) revert RequestNotOpen(requestHash);");
    line!("        if (answered[requestHash]) revert Replay(requestHash);");
    line!("    }}");
    line!();
    line!("    function _nullifierKey(uint256 statement, uint256 nullifier) internal pure returns (bytes32) {{");
    line!("        return keccak256(abi.encode(statement, nullifier));");
    line!("    }}");
    line!();
}

/// `verify<Statement>`: every input checked by its role, then the pairing, then the writes.
fn render_verify(w: &mut String, statement: Statement) {
    macro_rules! line {
        ($($arg:tt)*) => { let _ = writeln!(w, $($arg)*); };
    }
    let roles = statement.input_roles();
    let names = statement.input_names();
    let n = roles.len();
    let code = statement.name().to_ascii_uppercase();
    let at = |role: InputRole| roles.iter().position(|r| *r == role);
    let terms: Vec<usize> = (0..n).filter(|i| roles[*i] == InputRole::Term).collect();
    line!(
        "    /// @notice Accepts a {} proof for `requester`'s open request, once.",
        statement.name()
    );
    line!("    /// @dev Inputs: {}.", names.join(", "));
    line!("    function verify{}(uint256[2] calldata a, uint256[2][2] calldata b, uint256[2] calldata c, uint256[{n}] calldata input, address requester) external returns (bool) {{", camel(statement));
    for (i, role) in roles.iter().enumerate() {
        match role {
            InputRole::GrantsRoot => {
                line!("        _checkGrantsRoot(input[{i}]);");
            }
            InputRole::RecordsRoot => {
                line!("        _checkRecordsRoot(input[{i}]);");
            }
            InputRole::Time => {
                line!("        _checkTime(input[{i}]);");
            }
            InputRole::Term
            | InputRole::RequestHash
            | InputRole::Nullifier
            | InputRole::AccessTag
            | InputRole::Disclosed => {}
        }
    }
    line!(
        "        uint256[{}] memory terms = [{code}{}];",
        terms.len() + 1,
        terms
            .iter()
            .map(|i| format!(", input[{i}]"))
            .collect::<String>()
    );
    // Every statement but authority answers a request; the generator insists.
    let request = at(InputRole::RequestHash).unwrap_or(usize::MAX);
    line!("        _checkRequest(requester, input[{request}], keccak256(abi.encode(terms)));");
    if let Some(k) = at(InputRole::Nullifier) {
        line!("        bytes32 nullifier = _nullifierKey({code}, input[{k}]);");
        line!("        if (spent[nullifier]) revert NullifierSpent(input[{k}]);");
    }
    line!(
        "        if (!{}.verifyProof(a, b, c, input)) revert InvalidProof();",
        verifier_field(statement)
    );
    line!("        answered[input[{request}]] = true;");
    if at(InputRole::Nullifier).is_some() {
        line!("        spent[nullifier] = true;");
    }
    line!("        emit ProofAccepted({code}, requester, input[{request}]);");
    line!("        return true;");
    line!("    }}");
    line!();
}

/// Every contract a deployment needs, for `home`'s hash-checked keys and tree depth: the
/// five verifiers, the grants tree and the registry, as (file name, source) in deployment
/// order (`zkconsent export contracts`).
///
/// # Errors
///
/// [`ExportError::Params`] if a key cannot be loaded.
pub fn contract_sources(home: &Home) -> Result<Vec<(String, String)>, ExportError> {
    let depth = home.registry.depth();
    let mut out = Vec::new();
    for statement in Statement::ALL {
        let source = super::solidity::export_solidity(home, statement)?;
        out.push((format!("{}.sol", contract_name(statement.name())), source));
    }
    out.push((
        GRANTS_TREE_FILE.to_string(),
        super::grants_tree::render_grants_tree(depth),
    ));
    out.push((format!("{REGISTRY_CONTRACT}.sol"), render_registry(depth)));
    Ok(out)
}

/// Writes [`contract_sources`] into `dir` (created if missing); their paths.
///
/// # Errors
///
/// [`ExportError::Params`], [`ExportError::Io`].
pub fn write_contracts(home: &Home, dir: &Path) -> Result<Vec<PathBuf>, ExportError> {
    let io = |path: &Path, e: std::io::Error| ExportError::Io {
        path: path.to_path_buf(),
        reason: e.to_string(),
    };
    std::fs::create_dir_all(dir).map_err(|e| io(dir, e))?;
    let mut paths = Vec::new();
    for (name, source) in contract_sources(home)? {
        let path = dir.join(name);
        std::fs::write(&path, source).map_err(|e| io(&path, e))?;
        paths.push(path);
    }
    Ok(paths)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_statement_but_authority_has_a_verify_function_checking_its_roles() {
        let s = render_registry(4);
        for statement in verified_statements() {
            assert!(
                s.contains(&format!("function verify{}(", camel(statement))),
                "{statement}"
            );
            assert!(statement.input_roles().contains(&InputRole::RequestHash));
        }
        assert!(!s.contains("function verifyAuthority("));
        // Roots and times: one check per input with the role.
        let count = |role| {
            verified_statements()
                .map(|st| st.input_roles().iter().filter(|r| **r == role).count())
                .sum::<usize>()
        };
        assert_eq!(
            s.matches("        _checkGrantsRoot(input[").count(),
            count(InputRole::GrantsRoot)
        );
        assert_eq!(
            s.matches("        _checkRecordsRoot(input[").count(),
            count(InputRole::RecordsRoot)
        );
        assert_eq!(
            s.matches("        _checkTime(input[").count(),
            count(InputRole::Time)
        );
        assert!(!s.contains("postRoot"), "no operator-posted grants root");
    }

    /// `contracts/` holds the registry and tree at the production depth, for reading and
    /// review; regenerate with `cargo test -p zkconsent write_committed_contracts --
    /// --ignored`.
    #[test]
    fn committed_contracts_are_the_generated_ones() {
        let depth = merkle::DEFAULT_TREE_DEPTH;
        for (file, source) in committed_sources(depth) {
            let path = format!("{}/contracts/{file}", env!("CARGO_MANIFEST_DIR"));
            let committed = std::fs::read_to_string(&path).unwrap_or_default();
            assert!(
                committed == source,
                "{path} is not what the generator makes: run `cargo test -p zkconsent \
                 write_committed_contracts -- --ignored`"
            );
        }
    }

    #[test]
    #[ignore = "rewrites contracts/; run after changing the generator"]
    fn write_committed_contracts() {
        for (file, source) in committed_sources(merkle::DEFAULT_TREE_DEPTH) {
            let path = format!("{}/contracts/{file}", env!("CARGO_MANIFEST_DIR"));
            std::fs::write(path, source).expect("write");
        }
    }

    fn committed_sources(depth: usize) -> [(String, String); 2] {
        [
            (
                GRANTS_TREE_FILE.to_string(),
                super::super::grants_tree::render_grants_tree(depth),
            ),
            (format!("{REGISTRY_CONTRACT}.sol"), render_registry(depth)),
        ]
    }

    #[test]
    fn statement_codes_follow_setup_order() {
        for (i, s) in Statement::ALL.into_iter().enumerate() {
            assert_eq!(statement_code(s), i as u64);
        }
        assert_eq!(camel(Statement::Access), "Access");
    }

    #[test]
    fn terms_digest_is_keccak_of_abi_words() {
        // keccak256(abi.encode(uint256(1))) with no terms: a fixed, known value.
        let d = terms_digest(Statement::Access, &[]);
        assert_eq!(
            hex::encode(d),
            "b10e2d527612073b26eecdfd717e6a320cf44b4afac2b0732d9fcbe2b7fa0cf6"
        );
    }
}
