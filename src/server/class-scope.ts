import type {
  CompiledConfig,
  CompiledReservation,
  CompiledSubnet,
  Lifetimes,
  OptionSet,
} from '../config/types.ts';
import {
  combination,
  classifyAdditional,
  classLifetimes,
  type BootFields,
  type PacketClasses,
} from '../classify/classify.ts';
import { optionLayers } from './policy.ts';

/** What a client's classes add to a reply. */
export interface ClassScope {
  readonly layers: readonly OptionSet[];
  readonly boot: BootFields;
}

const NO_LISTS: readonly string[] = [];

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
    let poolList = NO_LISTS;
    if (subnet.poolsUseClasses)
      for (const p of subnet.pools) {
        if (addr >= p.start && addr <= p.end) {
          poolList = p.additionalClasses;
          break;
        }
      }
    if (poolList.length > 0 || subnet.additionalClasses.length > 0)
      classifyAdditional(config, pc, [poolList, subnet.additionalClasses]);
    const derived = combination(config, pc).derived;
    return { layers: optionLayers(config, subnet, addr, res, derived.layers), boot: derived.boot };
  },
};
