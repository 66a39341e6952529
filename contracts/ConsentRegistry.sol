// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity >=0.8.20 <0.9.0;

/// @notice The generated access verifier (`zkconsent export solidity --statement access`).
interface IAccessVerifier {
    function verifyProof(
        uint256[2] calldata a,
        uint256[2][2] calldata b,
        uint256[2] calldata c,
        uint256[7] calldata input
    ) external view returns (bool);
}

/// @title zkconsent grants-root history and access-proof checks
/// @notice The operator posts grants-tree roots. `verifyAccess` accepts an access proof if
/// its root is the current one or was superseded less than `maxRootAge` seconds ago (a
/// revoked grant's leaf is zeroed in newer roots, so old roots must expire), its `now` is
/// within `maxClockSkew` of the block time, its request hash was never used, and the proof
/// verifies. Every failure reverts with a named error.
/// @dev Access public inputs, in circuit order: grants_root, now, scope, purpose,
/// patient_ref, request_hash, access_tag.
contract ConsentRegistry {
    struct RootInfo {
        uint64 postedAt;
        uint64 supersededAt; // 0 while current
        bool known;
    }

    address public immutable operator;
    IAccessVerifier public immutable verifier;
    uint64 public immutable maxRootAge;
    uint64 public immutable maxClockSkew;

    uint256 public currentRoot;
    mapping(uint256 => RootInfo) public roots;
    mapping(uint256 => bool) public usedRequest;
    mapping(uint256 => bool) public usedAccessTag;

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

    constructor(IAccessVerifier verifier_, uint64 maxRootAge_, uint64 maxClockSkew_) {
        operator = msg.sender;
        verifier = verifier_;
        maxRootAge = maxRootAge_;
        maxClockSkew = maxClockSkew_;
    }

    /// @notice Makes `root` the current grants root (operator only).
    function postRoot(uint256 root) external {
        if (msg.sender != operator) revert NotOperator();
        uint64 t = uint64(block.timestamp);
        if (roots[currentRoot].known && currentRoot != root) {
            roots[currentRoot].supersededAt = t;
        }
        roots[root] = RootInfo({postedAt: t, supersededAt: 0, known: true});
        currentRoot = root;
        emit RootPosted(root, block.timestamp);
    }

    /// @notice True if `root` is current, or was superseded less than maxRootAge ago.
    function isRootAcceptable(uint256 root) public view returns (bool) {
        RootInfo memory info = roots[root];
        if (!info.known) return false;
        if (root == currentRoot) return true;
        return block.timestamp < uint256(info.supersededAt) + maxRootAge;
    }

    /// @notice Checks the root policy, the clock, replay and the proof; records the request.
    function verifyAccess(
        uint256[2] calldata a,
        uint256[2][2] calldata b,
        uint256[2] calldata c,
        uint256[7] calldata input
    ) external returns (bool) {
        uint256 root = input[0];
        if (!roots[root].known) revert UnknownRoot(root);
        if (!isRootAcceptable(root)) revert StaleRoot(root);
        uint256 proofNow = input[1];
        uint256 t = block.timestamp;
        if ((proofNow > t ? proofNow - t : t - proofNow) > maxClockSkew) {
            revert ClockSkew(proofNow, t);
        }
        uint256 requestHash = input[5];
        uint256 accessTag = input[6];
        if (usedRequest[requestHash] || usedAccessTag[accessTag]) revert Replay(requestHash);
        if (!verifier.verifyProof(a, b, c, input)) revert InvalidProof();
        usedRequest[requestHash] = true;
        usedAccessTag[accessTag] = true;
        emit AccessVerified(requestHash, accessTag, root, input[2], input[3], input[4]);
        return true;
    }
}
