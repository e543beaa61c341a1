// The device registry (core.md §6): every known class GUID, its names, and what we decode of it.
// Device dissectors attach their protocol here; the VMBus core hands payloads over by class GUID.

import { registerNameTable } from "./describe/display.js";
import type { ProtocolDescription } from "./describe/types.js";

/** How much of a device's own protocol is public. */
export type Specification = "public" | "none-public";

export interface DeviceClass {
  guid: string;
  short: string;
  name: string;
  /** Other names the same GUID has in other sources (shown beside the name). */
  alsoKnownAs?: string;
  linuxDefine?: string;
  specification: Specification;
  aliases?: readonly string[];
  /** The device protocol, once a dissector describes it. */
  protocol?: ProtocolDescription;
  /** Text for `devices`: what is decoded or why not. */
  note?: string;
  /** Says whether a ring packet's payload looks like this device's protocol (for ring dumps with no --device). */
  recognise?: PayloadRecogniser;
}

/** `payload` is the packet's payload (from offset8 × 8); `packetType` its VMBus packet type. */
export type PayloadRecogniser = (payload: Uint8Array, packetType: number) => boolean;

const table: DeviceClass[] = [
  { guid: "f8615163-df3e-46c5-913f-f2d2f965ed0e", short: "netvsc", name: "Synthetic network adapter", linuxDefine: "HV_NIC_GUID", specification: "public", aliases: ["net", "nic", "hn", "network"] },
  { guid: "ba6163d9-04a1-4d29-b605-72e2ffb1dc7f", short: "storvsc", name: "Synthetic SCSI controller", linuxDefine: "HV_SCSI_GUID", specification: "public", aliases: ["scsi", "storage"] },
  { guid: "32412632-86cb-44a2-9b5c-50d1417354f5", short: "storvsc-ide", name: "Synthetic IDE controller (accelerator)", linuxDefine: "HV_IDE_GUID", specification: "public", aliases: ["ide"] },
  { guid: "2f9bcc4a-0069-4af3-b76b-6fd0be528cda", short: "storvsc-fc", name: "Synthetic Fibre Channel", linuxDefine: "HV_SYNTHFC_GUID", specification: "public", aliases: ["fc", "synthfc"] },
  { guid: "8c2eaf3d-32a7-4b09-ab99-bd1f1c86b501", short: "nd", name: "Synthetic RDMA (NetworkDirect)", linuxDefine: "HV_ND_GUID", specification: "none-public", aliases: ["rdma"] },
  { guid: "44c4f61d-4444-4400-9d52-802e27ede19f", short: "vpci", name: "PCI Express pass-through (vPCI)", linuxDefine: "HV_PCIE_GUID", specification: "public", aliases: ["pci", "pcie"] },
  { guid: "da0a7802-e377-4aac-8e77-0558eb1073f8", short: "synthvid", name: "Synthetic video", linuxDefine: "HV_SYNTHVID_GUID", specification: "public", aliases: ["video", "fb"] },
  { guid: "f912ad6d-2b17-48ea-bd65-f927a61c7684", short: "keyboard", name: "Synthetic keyboard", linuxDefine: "HV_KBD_GUID", specification: "public", aliases: ["kbd"] },
  { guid: "cfa8b69e-5b4a-4cc0-b98b-8ba1a1f3f95a", short: "mouse", name: "Synthetic mouse (HID)", linuxDefine: "HV_MOUSE_GUID", specification: "public", aliases: ["hid"] },
  { guid: "a9a0f4e7-5a45-4d96-b827-8a841e8c03e6", short: "kvp", name: "Data Exchange (KVP) IC", linuxDefine: "HV_KVP_GUID", specification: "public", aliases: ["data-exchange"] },
  { guid: "9527e630-d0ae-497b-adce-e80ab0175caf", short: "timesync", name: "Time synchronization IC", linuxDefine: "HV_TS_GUID", specification: "public", aliases: ["ts", "time"] },
  { guid: "57164f39-9115-4e78-ab55-382f3bd5422d", short: "heartbeat", name: "Heartbeat IC", linuxDefine: "HV_HEART_BEAT_GUID", specification: "public", aliases: ["hb"] },
  { guid: "0e0b6031-5213-4934-818b-38d90ced39db", short: "shutdown", name: "Shutdown IC", linuxDefine: "HV_SHUTDOWN_GUID", specification: "public" },
  { guid: "34d14be3-dee4-41c8-9ae7-6b174977c192", short: "fcopy", name: "Guest services (file copy) IC", linuxDefine: "HV_FCOPY_GUID", specification: "public", aliases: ["file-copy", "guest-services"] },
  { guid: "35fa2e29-ea23-4236-96ae-3a6ebacba440", short: "vss", name: "Backup (VSS) IC", linuxDefine: "HV_VSS_GUID", specification: "public", aliases: ["backup"] },
  { guid: "525074dc-8985-46e2-8057-a307dc18a502", short: "balloon", name: "Dynamic memory", linuxDefine: "HV_DM_GUID", specification: "public", aliases: ["dm", "dynamic-memory"] },
  { guid: "3375baf4-9e15-4b30-b765-67acb10d607b", short: "avma", name: "Activation (AVMA)", linuxDefine: "HV_AVMA2_GUID", specification: "none-public" },
  { guid: "276aacf4-ac15-426c-98dd-7521ad3f01fe", short: "rdv", name: "Remote Desktop Virtualization IC", linuxDefine: "HV_RDV_GUID", specification: "none-public" },
  { guid: "f8e65716-3cb3-4a06-9a60-1889c5cccab5", short: "rdctl", name: "Remote Desktop control channel", alsoKnownAs: "AVMA1 in Linux (HV_AVMA1_GUID)", linuxDefine: "HV_AVMA1_GUID", specification: "none-public", aliases: ["avma1"] },
  { guid: "c376c1c3-d276-48d2-90a9-c04748072c60", short: "vmbfs", name: "VMBus file system / Initial Machine Configuration", linuxDefine: "HV_IMC_GUID", specification: "public", aliases: ["imc"] },
  { guid: "8b60ccf6-709f-4c11-90b5-229c959a9e6a", short: "serial", name: "VMBus serial port (UART, OpenVMM)", specification: "public", aliases: ["uart"] },
  { guid: "8dedd1aa-9056-49e4-bfd6-1bf90dc38ef0", short: "get", name: "Guest Emulation Transport (OpenHCL)", specification: "public" },
  { guid: "427b03e7-4ceb-4286-b5fc-486f4a1dd439", short: "crashdump", name: "Guest crash-dump channel (OpenHCL)", specification: "public" },
  { guid: "f9e9c0d3-b511-4a48-8046-d38079a8830c", short: "rddata", name: "Remote Desktop data channel (third-party source only)", specification: "none-public" },
];

/**
 * A channel told from the others of its class by its offer's instance GUID (devices.md §1): the offer
 * sets the per-channel state `channel.instance.<short>` of the offered relid to 1, and the class's
 * description reads it to choose the layout (here and in the Wireshark plugin alike).
 */
export interface ChannelInstance {
  classGuid: string;
  instance: string;
  short: string;
  name: string;
}

const instances: readonly ChannelInstance[] = [
  // devices.md §18.2: GET's interface GUID with this instance GUID is its trace-logging channel.
  { classGuid: "8dedd1aa-9056-49e4-bfd6-1bf90dc38ef0", instance: "aa5de534-d149-487a-9053-05972ba20a7c", short: "get_log", name: "GET trace-logging channel (OpenHCL)" },
];

export const allChannelInstances = (): readonly ChannelInstance[] => instances;

export const channelInstance = (classGuid: string, instanceGuid: string): ChannelInstance | undefined =>
  instances.find((i) => i.classGuid === classGuid.toLowerCase() && i.instance === instanceGuid.toLowerCase());

/** The per-channel state an instance's offer sets (1 on that channel). */
export const instanceState = (instance: Pick<ChannelInstance, "short">): string => `channel.instance.${instance.short}`;

/** hv_sock channels are recognised by their offer flag, not by a class GUID. */
export const HV_SOCKET: DeviceClass = {
  guid: "", short: "hvsock", name: "Hyper-V socket", specification: "public", aliases: ["hv_sock", "vsock"],
};

const byGuid = new Map(table.map((device) => [device.guid, device]));

export const deviceByGuid = (guid: string | undefined): DeviceClass | undefined => (guid ? byGuid.get(guid.toLowerCase()) : undefined);

/** Finds a device by short name, alias or class GUID text (braces and case accepted). */
export function findDevice(text: string): DeviceClass | undefined {
  const wanted = text.trim().toLowerCase().replace(/^\{|\}$/g, "");
  if (wanted === HV_SOCKET.short || HV_SOCKET.aliases?.includes(wanted)) return HV_SOCKET;
  return byGuid.get(wanted) ?? table.find((d) => d.short === wanted || d.aliases?.includes(wanted));
}

export const allDevices = (): readonly DeviceClass[] => table;

/** A device dissector attaches its protocol description here. */
export function registerDeviceProtocol(short: string, protocol: ProtocolDescription, options: { note?: string; recognise?: PayloadRecogniser } = {}): void {
  const device = short === HV_SOCKET.short ? HV_SOCKET : table.find((d) => d.short === short);
  if (!device) throw new Error(`no device ${short} in the registry`);
  device.protocol = protocol;
  device.note = options.note;
  device.recognise = options.recognise;
}

export function decodingStatus(device: DeviceClass): string {
  if (device.protocol) return device.note ?? `decoded (${device.protocol.label})`;
  if (device.specification === "none-public") return "no public specification: shown at the VMBus layer, payload as bytes";
  return "VMBus layer only: device protocol not decoded yet, payload shown as bytes";
}

const NO_GUID = "00000000-0000-0000-0000-000000000000";

/** A device's name as GUIDs are labelled with it, both names where sources disagree. */
export const deviceDisplayName = (device: DeviceClass): string => (device.alsoKnownAs ? `${device.name}; ${device.alsoKnownAs}` : device.name);

registerNameTable("guid", (text) => {
  if (text === NO_GUID) return "none";
  const device = byGuid.get(text);
  return device ? deviceDisplayName(device) : undefined;
});
