// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Ownable, Ownable2Step} from "@openzeppelin/contracts/access/Ownable2Step.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Metadata} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Metadata.sol";
import {IERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Permit.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";

/**
 * @title CreditEscrow
 * @notice Holds the stablecoin behind the marketplace's credits. Users deposit (one token unit of a
 * 6-decimal stablecoin is one micro-USD credit); the operator settles their usage in sequential batches
 * that move escrowed balances to providers' claimable earnings and a fee to the treasury; providers claim;
 * users exit through a withdrawal request that matures after a thaw period.
 * @dev Invariant: totalBalances + totalEarnings == the escrow's token balance (tokens sent to the escrow
 * by plain transfer make it greater). The token must be a plain ERC-20: no fee on transfer, no rebasing.
 */
contract CreditEscrow is Ownable2Step, Pausable, ReentrancyGuard {
    using SafeERC20 for IERC20;

    /// @notice One user's spend in a settlement batch.
    struct Debit {
        address account;
        uint256 amount;
    }

    /// @notice One provider's earnings in a settlement batch, owed to its payout address.
    struct Credit {
        address payout;
        uint256 amount;
    }

    /// @notice A pending exit: `amount` may be withdrawn from `maturesAt` (a unix time) on.
    struct WithdrawalRequest {
        uint128 amount;
        uint64 maturesAt;
    }

    /// @notice The shortest thaw period the owner may set.
    uint256 public constant MIN_THAW_PERIOD = 1 minutes;
    /// @notice The longest thaw period the owner may set.
    uint256 public constant MAX_THAW_PERIOD = 30 days;
    /// @notice The decimals the token must have, so that one token unit is one micro-USD.
    uint8 public constant TOKEN_DECIMALS = 6;

    /// @notice The stablecoin held in escrow.
    IERC20 public immutable token;

    /// @notice The only account that may settle batches.
    address public operator;
    /// @notice The account settlement fees are credited to.
    address public treasury;
    /// @notice Seconds between a withdrawal request and the moment it can be withdrawn.
    uint256 public thawPeriod;

    /// @notice The id the next settlement batch must carry; batches start at 1.
    uint256 public nextBatchId = 1;

    /// @notice A user's escrowed balance, in token units (micro-USD).
    mapping(address account => uint256) public balanceOf;
    /// @notice What a payout address (a provider's, or the treasury's) can claim, in token units.
    mapping(address payout => uint256) public earningsOf;
    /// @notice The Merkle root of the receipts settled in a batch; zero for a batch not (yet) settled.
    mapping(uint256 batchId => bytes32) public receiptsRootOf;

    /// @notice The sum of all users' balances.
    uint256 public totalBalances;
    /// @notice The sum of all earnings not claimed yet, fees included.
    uint256 public totalEarnings;

    mapping(address account => WithdrawalRequest) private _withdrawalRequests;

    /// @notice `payer` deposited `amount` to the escrowed balance of `account`.
    event Deposit(address indexed account, address indexed payer, uint256 amount);
    /// @notice Batch `batchId` was settled: `debited` left users' balances, `credited` went to providers,
    /// `fee` to `treasury`.
    event BatchSettled(
        uint256 indexed batchId, bytes32 receiptsRoot, uint256 debited, uint256 credited, uint256 fee, address treasury
    );
    /// @notice Batch `batchId` took `amount` from the balance of `account`.
    event Debited(uint256 indexed batchId, address indexed account, uint256 amount);
    /// @notice Batch `batchId` added `amount` to the earnings of `payout`.
    event Credited(uint256 indexed batchId, address indexed payout, uint256 amount);
    /// @notice `payout` claimed `amount` of its earnings.
    event Claimed(address indexed payout, uint256 amount);
    /// @notice `account` asked to withdraw up to `amount` from `maturesAt` on (replacing any earlier request).
    event WithdrawalRequested(address indexed account, uint256 amount, uint256 maturesAt);
    /// @notice `account` cancelled its request to withdraw `amount`.
    event WithdrawalCancelled(address indexed account, uint256 amount);
    /// @notice `account` withdrew `amount` (its request capped at its balance).
    event Withdrawal(address indexed account, uint256 amount);
    /// @notice The operator changed from `previousOperator` to `newOperator`.
    event OperatorChanged(address indexed previousOperator, address indexed newOperator);
    /// @notice The treasury changed from `previousTreasury` to `newTreasury`.
    event TreasuryChanged(address indexed previousTreasury, address indexed newTreasury);
    /// @notice The thaw period of new withdrawal requests changed, in seconds.
    event ThawPeriodChanged(uint256 previousThawPeriod, uint256 newThawPeriod);

    /// @notice Only the operator may settle; `caller` is not it.
    error NotOperator(address caller);
    /// @notice The token has `decimals` decimals, not 6.
    error UnsupportedToken(address token, uint8 decimals);
    /// @notice The operator cannot be the zero address.
    error InvalidOperator(address operator);
    /// @notice The treasury cannot be the zero address.
    error InvalidTreasury(address treasury);
    /// @notice Deposits cannot be made to the zero address.
    error InvalidAccount(address account);
    /// @notice Credit number `index` of a batch pays the zero address.
    error InvalidPayout(uint256 index, address payout);
    /// @notice Deposits and withdrawal requests must be of a positive amount.
    error ZeroAmount();
    /// @notice The thaw period must lie within [`min`, `max`] seconds.
    error ThawPeriodOutOfBounds(uint256 thawPeriod, uint256 min, uint256 max);
    /// @notice Batches are applied in order: `expected` is next, `batchId` was given.
    error UnexpectedBatchId(uint256 expected, uint256 batchId);
    /// @notice `account` holds `balance`, less than the `needed` amount.
    error InsufficientBalance(address account, uint256 balance, uint256 needed);
    /// @notice A batch must balance: `debited` == `credited` + `fee`.
    error SettlementImbalance(uint256 debited, uint256 credited, uint256 fee);
    /// @notice `payout` has no earnings to claim.
    error NothingToClaim(address payout);
    /// @notice `account` has no pending withdrawal request.
    error NoWithdrawalRequest(address account);
    /// @notice The withdrawal request of `account` matures at `maturesAt`, later than `timestamp`.
    error WithdrawalNotMatured(address account, uint256 maturesAt, uint256 timestamp);

    modifier onlyOperator() {
        if (msg.sender != operator) revert NotOperator(msg.sender);
        _;
    }

    /**
     * @param token_ The stablecoin to hold; it must have 6 decimals.
     * @param owner_ The owner, who sets the operator, treasury and thaw period and may pause.
     * @param operator_ The account that settles batches (the router).
     * @param treasury_ The account settlement fees are credited to.
     * @param thawPeriod_ Seconds a withdrawal request waits, within [MIN_THAW_PERIOD, MAX_THAW_PERIOD].
     */
    constructor(IERC20 token_, address owner_, address operator_, address treasury_, uint256 thawPeriod_)
        Ownable(owner_)
    {
        uint8 decimals = IERC20Metadata(address(token_)).decimals();
        if (decimals != TOKEN_DECIMALS) revert UnsupportedToken(address(token_), decimals);
        token = token_;
        _setOperator(operator_);
        _setTreasury(treasury_);
        _setThawPeriod(thawPeriod_);
    }


    /**
     * @notice Moves `amount` tokens from the caller (who approved this contract) to its own escrowed balance.
     * @param amount Token units (micro-USD), more than zero.
     */
    function deposit(uint256 amount) external whenNotPaused nonReentrant {
        _deposit(msg.sender, amount);
    }

    /**
     * @notice Moves `amount` tokens from the caller (who approved this contract) to the escrowed balance of
     * `account`.
     * @param account The account credited; not the zero address.
     * @param amount Token units (micro-USD), more than zero.
     */
    function depositFor(address account, uint256 amount) external whenNotPaused nonReentrant {
        _deposit(account, amount);
    }

    /**
     * @notice Deposits `amount` to the caller's balance in one transaction, approving this contract with an
     * EIP-2612 permit the caller signed for exactly (caller, this contract, `amount`, `deadline`).
     * @dev A permit that fails (for instance because someone front-ran it, which already set the allowance)
     * is ignored: the transfer then succeeds on the existing allowance or reverts with the token's error.
     * @param amount Token units (micro-USD), more than zero.
     * @param deadline The permit's deadline, a unix time.
     * @param v Signature recovery id.
     * @param r Signature r.
     * @param s Signature s.
     */
    function depositWithPermit(uint256 amount, uint256 deadline, uint8 v, bytes32 r, bytes32 s)
        external
        whenNotPaused
        nonReentrant
    {
        try IERC20Permit(address(token)).permit(msg.sender, address(this), amount, deadline, v, r, s) {} catch {}
        _deposit(msg.sender, amount);
    }


    /**
     * @notice Settles batch `batchId`: takes each debit from a user's balance, adds each credit to a payout
     * address's earnings and `fee` to the treasury's. The batch must be the next one and must balance
     * (sum of debits == sum of credits + fee); no debit may exceed the user's balance at that point.
     * @dev An account or payout may appear more than once; entries are applied in order.
     * @param batchId Must equal `nextBatchId`.
     * @param receiptsRoot Merkle root of the usage receipts the batch settles; stored and emitted.
     * @param debits Users' spend.
     * @param credits Providers' earnings, to their payout addresses (not the zero address).
     * @param fee The operator's fee, credited to the treasury.
     */
    function settle(
        uint256 batchId,
        bytes32 receiptsRoot,
        Debit[] calldata debits,
        Credit[] calldata credits,
        uint256 fee
    ) external onlyOperator whenNotPaused {
        if (batchId != nextBatchId) revert UnexpectedBatchId(nextBatchId, batchId);

        uint256 debited;
        for (uint256 i = 0; i < debits.length; ++i) {
            Debit calldata debit = debits[i];
            uint256 balance = balanceOf[debit.account];
            if (debit.amount > balance) revert InsufficientBalance(debit.account, balance, debit.amount);
            unchecked {
                balanceOf[debit.account] = balance - debit.amount;
            }
            debited += debit.amount;
            emit Debited(batchId, debit.account, debit.amount);
        }

        uint256 credited;
        for (uint256 i = 0; i < credits.length; ++i) {
            Credit calldata credit = credits[i];
            if (credit.payout == address(0)) revert InvalidPayout(i, credit.payout);
            earningsOf[credit.payout] += credit.amount;
            credited += credit.amount;
            emit Credited(batchId, credit.payout, credit.amount);
        }

        if (debited != credited + fee) revert SettlementImbalance(debited, credited, fee);
        if (fee > 0) earningsOf[treasury] += fee;
        totalBalances -= debited;
        totalEarnings += debited;
        receiptsRootOf[batchId] = receiptsRoot;
        nextBatchId = batchId + 1;
        emit BatchSettled(batchId, receiptsRoot, debited, credited, fee, treasury);
    }

    /**
     * @notice Pays the caller all its earnings (a provider's payout address, or the treasury for fees).
     * Works while paused.
     */
    function claim() external nonReentrant {
        uint256 amount = earningsOf[msg.sender];
        if (amount == 0) revert NothingToClaim(msg.sender);
        earningsOf[msg.sender] = 0;
        totalEarnings -= amount;
        emit Claimed(msg.sender, amount);
        token.safeTransfer(msg.sender, amount);
    }


    /**
     * @notice Asks to withdraw up to `amount` of the caller's balance once the thaw period has passed,
     * replacing any earlier request (whose clock restarts). Until then the operator may still settle usage,
     * and `withdraw` pays at most the balance left. Works while paused.
     * @param amount Token units, more than zero and at most the caller's balance now.
     */
    function requestWithdrawal(uint256 amount) external {
        if (amount == 0) revert ZeroAmount();
        uint256 balance = balanceOf[msg.sender];
        if (amount > balance) revert InsufficientBalance(msg.sender, balance, amount);
        uint64 maturesAt = SafeCast.toUint64(block.timestamp + thawPeriod);
        _withdrawalRequests[msg.sender] = WithdrawalRequest(SafeCast.toUint128(amount), maturesAt);
        emit WithdrawalRequested(msg.sender, amount, maturesAt);
    }

    /**
     * @notice Cancels the caller's pending withdrawal request.
     */
    function cancelWithdrawal() external {
        WithdrawalRequest memory request = _withdrawalRequests[msg.sender];
        if (request.maturesAt == 0) revert NoWithdrawalRequest(msg.sender);
        delete _withdrawalRequests[msg.sender];
        emit WithdrawalCancelled(msg.sender, request.amount);
    }

    /**
     * @notice Pays the caller min(requested amount, balance) once its request has matured, and clears the
     * request. Works while paused.
     */
    function withdraw() external nonReentrant {
        WithdrawalRequest memory request = _withdrawalRequests[msg.sender];
        if (request.maturesAt == 0) revert NoWithdrawalRequest(msg.sender);
        if (block.timestamp < request.maturesAt) {
            revert WithdrawalNotMatured(msg.sender, request.maturesAt, block.timestamp);
        }
        uint256 balance = balanceOf[msg.sender];
        uint256 amount = request.amount < balance ? request.amount : balance;
        delete _withdrawalRequests[msg.sender];
        balanceOf[msg.sender] = balance - amount;
        totalBalances -= amount;
        emit Withdrawal(msg.sender, amount);
        if (amount > 0) token.safeTransfer(msg.sender, amount);
    }

    /**
     * @notice The pending withdrawal request of `account`; `maturesAt` is zero when there is none.
     * @param account The account.
     */
    function withdrawalRequestOf(address account) external view returns (WithdrawalRequest memory) {
        return _withdrawalRequests[account];
    }


    /**
     * @notice Sets the account that settles batches.
     * @param newOperator Not the zero address.
     */
    function setOperator(address newOperator) external onlyOwner {
        _setOperator(newOperator);
    }

    /**
     * @notice Sets the account future fees are credited to; fees already credited stay with the old treasury.
     * @param newTreasury Not the zero address.
     */
    function setTreasury(address newTreasury) external onlyOwner {
        _setTreasury(newTreasury);
    }

    /**
     * @notice Sets the thaw period of future withdrawal requests; pending requests keep their maturity.
     * @param newThawPeriod Seconds, within [MIN_THAW_PERIOD, MAX_THAW_PERIOD].
     */
    function setThawPeriod(uint256 newThawPeriod) external onlyOwner {
        _setThawPeriod(newThawPeriod);
    }

    /**
     * @notice Stops deposits and settlements. Claims, withdrawal requests and withdrawals go on.
     */
    function pause() external onlyOwner {
        _pause();
    }

    /**
     * @notice Resumes deposits and settlements.
     */
    function unpause() external onlyOwner {
        _unpause();
    }


    function _deposit(address account, uint256 amount) private {
        if (account == address(0)) revert InvalidAccount(account);
        if (amount == 0) revert ZeroAmount();
        balanceOf[account] += amount;
        totalBalances += amount;
        emit Deposit(account, msg.sender, amount);
        token.safeTransferFrom(msg.sender, address(this), amount);
    }

    function _setOperator(address newOperator) private {
        if (newOperator == address(0)) revert InvalidOperator(newOperator);
        emit OperatorChanged(operator, newOperator);
        operator = newOperator;
    }

    function _setTreasury(address newTreasury) private {
        if (newTreasury == address(0)) revert InvalidTreasury(newTreasury);
        emit TreasuryChanged(treasury, newTreasury);
        treasury = newTreasury;
    }

    function _setThawPeriod(uint256 newThawPeriod) private {
        if (newThawPeriod < MIN_THAW_PERIOD || newThawPeriod > MAX_THAW_PERIOD) {
            revert ThawPeriodOutOfBounds(newThawPeriod, MIN_THAW_PERIOD, MAX_THAW_PERIOD);
        }
        emit ThawPeriodChanged(thawPeriod, newThawPeriod);
        thawPeriod = newThawPeriod;
    }
}
