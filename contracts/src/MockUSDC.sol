// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {ERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Permit.sol";

/**
 * @title MockUSDC
 * @notice A stand-in for USDC on local chains and in tests: 6 decimals, EIP-2612 permits, and a `mint`
 * that ANYONE may call. Never deploy it where its tokens could be mistaken for money.
 */
contract MockUSDC is ERC20, ERC20Permit {
    constructor() ERC20("Mock USD Coin", "USDC") ERC20Permit("Mock USD Coin") {}

    /// @notice 6, like USDC: one token unit is one micro-USD.
    function decimals() public pure override returns (uint8) {
        return 6;
    }

    /**
     * @notice Creates `amount` tokens for `to`. Open to anyone: this token is for local use only.
     * @param to The recipient.
     * @param amount Token units.
     */
    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }
}
