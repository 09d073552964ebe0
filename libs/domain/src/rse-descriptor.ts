import { RseType } from './states.js';

export type RseAttributeValue = string | number | boolean;

/** What the domain needs to know about an RSE to evaluate expressions against it. */
export interface RseDescriptor {
  id: string;
  name: string;
  rseType: RseType;
  deterministic: boolean;
  volatile: boolean;
  qosClass: string | null;
  availabilityRead: boolean;
  availabilityWrite: boolean;
  availabilityDelete: boolean;
  attributes: Record<string, RseAttributeValue>;
  /** The QoS policies the RSE offers (`qos_policy=SAFE` in expressions). */
  qosPolicies?: readonly string[];
}

/** Attributes including the implicit `<RSE name>=true` every RSE carries. */
export function effectiveAttributes(rse: RseDescriptor): Record<string, RseAttributeValue> {
  return { [rse.name]: true, ...rse.attributes };
}
