// Buffer helpers: storage buffers made from data or a size, and reading float32 results back
// through a staging buffer. The training loop makes its buffers once; these are for set-up and I/O.

/** A storage buffer (copyable both ways) of `floats` 32-bit values, rounded up to 16 bytes. */
export function storageBuffer(device: GPUDevice, floats: number, label: string): GPUBuffer {
  return device.createBuffer({
    label,
    size: Math.max(16, Math.ceil((floats * 4) / 16) * 16),
    usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
  });
}

/** A storage buffer holding `data` as float32. */
export function storageFrom(device: GPUDevice, data: ArrayLike<number>, label: string): GPUBuffer {
  const buffer = storageBuffer(device, data.length, label);
  const f32 = data instanceof Float32Array ? data : Float32Array.from(data);
  device.queue.writeBuffer(buffer, 0, f32.buffer, f32.byteOffset, f32.byteLength);
  return buffer;
}

/** Reads `floats` float32 values starting at byte `offset` of a COPY_SRC buffer. */
export async function readFloats(device: GPUDevice, buffer: GPUBuffer, floats: number, offset = 0): Promise<Float32Array> {
  const bytes = floats * 4;
  const staging = device.createBuffer({ label: 'readback', size: Math.max(4, bytes), usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  try {
    const encoder = device.createCommandEncoder({ label: 'readback' });
    encoder.copyBufferToBuffer(buffer, offset, staging, 0, bytes);
    device.queue.submit([encoder.finish()]);
    await staging.mapAsync(GPUMapMode.READ);
    return new Float32Array(staging.getMappedRange().slice(0));
  } finally {
    staging.destroy();
  }
}
