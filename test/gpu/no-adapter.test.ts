// With a Vulkan driver configured that does not exist, acquireDevice fails with advice on what to
// install instead of a bare null adapter. (Its own file: it changes this process's Vulkan settings.)
import { expect, it } from 'vitest';
import { acquireDevice } from '../../src/gpu/device';

it('says what to install when no adapter is found', async () => {
  process.env.VK_ICD_FILENAMES = '/nonexistent/vulkan_icd.json';
  process.env.VK_DRIVER_FILES = '/nonexistent/vulkan_icd.json';
  await expect(acquireDevice()).rejects.toThrow(/No WebGPU adapter was found.*mesa-vulkan-drivers.*chromium.*Tried: vulkan icd \/nonexistent\/vulkan_icd.json \(no adapter\)/s);
});
