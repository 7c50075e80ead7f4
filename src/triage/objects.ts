import type { KubeObject } from './snapshot';

// Views of the raw apiserver JSON the checks read: only the fields they use, all optional, because
// cached objects are whatever the apiserver sent.

export interface Condition {
  readonly type?: string;
  readonly status?: string;
  readonly reason?: string;
  readonly message?: string;
  readonly lastTransitionTime?: string;
  /** Node conditions: when the kubelet last reported. */
  readonly lastHeartbeatTime?: string;
  /** Workload conditions: when the controller last updated it. */
  readonly lastUpdateTime?: string;
}

export type Quantities = Readonly<Record<string, string>>;

export interface Toleration {
  readonly key?: string;
  readonly operator?: string;
  readonly value?: string;
  readonly effect?: string;
}

export interface Taint {
  readonly key: string;
  readonly value?: string;
  readonly effect: string;
}

export interface Container {
  readonly name: string;
  readonly image?: string;
  readonly resources?: { readonly requests?: Quantities; readonly limits?: Quantities };
  readonly ports?: readonly { readonly containerPort?: number; readonly hostPort?: number; readonly name?: string; readonly protocol?: string }[];
}

export interface NodeSelectorRequirement {
  readonly key: string;
  readonly operator: string;
  readonly values?: readonly string[];
}

export interface NodeSelectorTerm {
  readonly matchExpressions?: readonly NodeSelectorRequirement[];
  readonly matchFields?: readonly NodeSelectorRequirement[];
}

export interface Pod extends KubeObject {
  readonly spec?: {
    readonly nodeName?: string;
    readonly nodeSelector?: Readonly<Record<string, string>>;
    readonly affinity?: {
      readonly nodeAffinity?: { readonly requiredDuringSchedulingIgnoredDuringExecution?: { readonly nodeSelectorTerms?: readonly NodeSelectorTerm[] } };
    };
    readonly tolerations?: readonly Toleration[];
    readonly schedulingGates?: readonly { readonly name: string }[];
    readonly containers?: readonly Container[];
    readonly initContainers?: readonly Container[];
    readonly overhead?: Quantities;
    readonly volumes?: readonly { readonly name: string; readonly persistentVolumeClaim?: { readonly claimName?: string } }[];
  };
  readonly status?: { readonly phase?: string; readonly conditions?: readonly Condition[] };
}

export interface PersistentVolumeClaim extends KubeObject {
  readonly spec?: {
    readonly storageClassName?: string | null;
    readonly volumeName?: string;
    readonly accessModes?: readonly string[];
    readonly volumeMode?: string;
    readonly resources?: { readonly requests?: Quantities };
  };
  readonly status?: { readonly phase?: string };
}

export interface StorageClass extends KubeObject {
  readonly provisioner?: string;
  readonly volumeBindingMode?: string;
}

export interface PersistentVolume extends KubeObject {
  readonly spec?: {
    readonly capacity?: Quantities;
    readonly storageClassName?: string;
    readonly accessModes?: readonly string[];
    readonly volumeMode?: string;
    readonly claimRef?: { readonly namespace?: string; readonly name?: string; readonly uid?: string };
  };
  readonly status?: { readonly phase?: string };
}

export interface Node extends KubeObject {
  readonly spec?: { readonly unschedulable?: boolean; readonly taints?: readonly Taint[] };
  readonly status?: { readonly allocatable?: Quantities; readonly conditions?: readonly Condition[] };
}

export interface ServicePort {
  readonly name?: string;
  readonly port: number;
  readonly targetPort?: number | string;
  readonly protocol?: string;
}

export interface Service extends KubeObject {
  readonly spec?: {
    readonly type?: string;
    readonly clusterIP?: string;
    readonly selector?: Readonly<Record<string, string>>;
    readonly ports?: readonly ServicePort[];
    readonly externalName?: string;
  };
}

export interface EndpointSlice extends KubeObject {
  readonly ports?: readonly { readonly name?: string; readonly port?: number }[] | null;
  readonly endpoints?: readonly {
    readonly addresses?: readonly string[];
    readonly conditions?: { readonly ready?: boolean };
    readonly targetRef?: { readonly kind?: string; readonly name?: string; readonly uid?: string };
  }[];
}

export interface IngressBackend {
  readonly service?: { readonly name?: string; readonly port?: { readonly number?: number; readonly name?: string } };
}

export interface Ingress extends KubeObject {
  readonly spec?: {
    readonly ingressClassName?: string;
    readonly defaultBackend?: IngressBackend;
    readonly rules?: readonly {
      readonly host?: string;
      readonly http?: { readonly paths?: readonly { readonly path?: string; readonly backend?: IngressBackend }[] };
    }[];
    readonly tls?: readonly { readonly secretName?: string; readonly hosts?: readonly string[] }[];
  };
  readonly status?: { readonly loadBalancer?: { readonly ingress?: readonly { readonly ip?: string; readonly hostname?: string }[] } };
}

export interface IngressClass extends KubeObject {
  readonly spec?: { readonly controller?: string };
}

/** An Event from either API, normalised: both APIs serve the same stored object. */
export interface EventRecord {
  readonly uid: string;
  readonly resourceVersion: string;
  readonly namespace: string;
  readonly name: string;
  readonly type: string;
  readonly reason: string;
  readonly message: string;
  readonly count: number;
  readonly lastSeen: string | undefined;
  readonly firstSeen: string | undefined;
  readonly source: string;
  /** The part of the object the Event is about, e.g. spec.containers{web} for a kubelet probe Event. */
  readonly fieldPath: string | undefined;
  /** The object the Event is about (involvedObject / regarding), as its writer named it: unverified until looked up by uid. */
  readonly subject?: { readonly kind: string; readonly name: string; readonly uid: string };
}

export function conditionOf(conditions: readonly Condition[] | undefined, type: string): Condition | undefined {
  return conditions?.find((c) => c.type === type);
}

export function annotation(object: KubeObject, key: string): string | undefined {
  return object.metadata?.annotations?.[key];
}

/** Orders strings by UTF-16 code units: unlike localeCompare, the same on every machine and locale, and far cheaper. */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
