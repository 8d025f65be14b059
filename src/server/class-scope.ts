import type {
  CompiledConfig,
  CompiledReservation,
  CompiledSubnet,
  Lifetimes,
  OptionSet,
} from '../config/index.ts';
import {
  combination,
  classifyAdditional,
  classLifetimes,
  type BootFields,
  type PacketClasses,
} from '../classify/index.ts';
import { optionLayersIn, poolContaining } from './policy.ts';

/** What a client's classes add to a reply. */
export interface ClassScope {
  readonly layers: readonly OptionSet[];
  readonly boot: BootFields;
}

const NO_CLASSES: readonly string[] = [];

/** Where the engine applies a request's classes: lease lifetimes, option layers and boot fields. */
export const classScope = {
  /** The subnet's lifetimes with the first class's `valid-lifetime` over them. */
  lifetimes(config: CompiledConfig, pc: PacketClasses, subnet: CompiledSubnet): Lifetimes {
    return classLifetimes(subnet.lifetimes, combination(config, pc).derived.lifetimeClass);
  },

  /**
   * Runs the pool's, then the subnet's additional classes (Kea's order), then gives the option layers
   * (reservation, pool, subnet, classes in order, global) and the first class value of each boot field.
   */
  reply(
    config: CompiledConfig,
    pc: PacketClasses,
    subnet: CompiledSubnet,
    addr: number,
    res: CompiledReservation | undefined,
  ): ClassScope {
    const pool = poolContaining(subnet, addr);
    const poolList = pool === undefined ? NO_CLASSES : pool.additionalClasses;
    if (poolList.length > 0) classifyAdditional(config, pc, poolList);
    if (subnet.additionalClasses.length > 0) classifyAdditional(config, pc, subnet.additionalClasses);
    const derived = combination(config, pc).derived;
    if (res !== undefined)
      return { layers: optionLayersIn(config, subnet, pool, res, derived.layers), boot: derived.boot };
    // Without a reservation the layers depend only on the classes, the pool and the option sets: the
    // classes' node keeps the last answer, so that the usual request makes no lookup and no object.
    const node = pc.node;
    const owner = pool ?? subnet;
    const last = node.replyMemo;
    if (
      last !== undefined &&
      last.owner === owner &&
      last.global === config.options &&
      last.subnet === subnet.options
    )
      return last;
    const memo = {
      owner,
      global: config.options,
      subnet: subnet.options,
      layers: optionLayersIn(config, subnet, pool, undefined, derived.layers),
      boot: derived.boot,
    };
    node.replyMemo = memo;
    return memo;
  },
};
