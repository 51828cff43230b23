/*
 * A Vulkan layer that lets Dawn (the `webgpu` package) open Mesa's lavapipe, a CPU Vulkan driver, for the WebGPU
 * tests: lavapipe offers shaderFloat16, 16-bit storage and 8-lane subgroups, which Chromium's SwiftShader lacks, so
 * the shader-f16 kernel variants run on it. Dawn refuses any Vulkan device without
 * shaderSampledImageArrayDynamicIndexing and shaderStorageImageArrayDynamicIndexing, which lavapipe 22.3 does not
 * report. This layer reports both as present and drops them from the device it creates. Only arrays of image
 * bindings indexed at run time would need them; WGSL has no binding arrays without an extension, and no compute
 * kernel here binds an image, so the features are never exercised. Test machinery only: nothing in the product
 * loads it (tests/helpers/lavapipe.ts sets VK_LAYER_PATH and VK_INSTANCE_LAYERS for one test process).
 * Built by build.sh with the C compiler and Vulkan headers from Debian (libvulkan-dev).
 */
#include <string.h>
#include <vulkan/vulkan.h>
#include <vulkan/vk_layer.h>

#define EXPORT __attribute__((visibility("default")))

/* One driver behind the layer (VK_ICD_FILENAMES names lavapipe alone), so one set of next-in-chain entry points. */
static PFN_vkGetInstanceProcAddr next_gipa;
static PFN_vkGetDeviceProcAddr next_gdpa;
static PFN_vkGetPhysicalDeviceFeatures next_features;
static PFN_vkGetPhysicalDeviceFeatures2 next_features2;

static void claim(VkPhysicalDeviceFeatures *f) {
  f->shaderSampledImageArrayDynamicIndexing = VK_TRUE;
  f->shaderStorageImageArrayDynamicIndexing = VK_TRUE;
}

static void drop(VkPhysicalDeviceFeatures *f) {
  f->shaderSampledImageArrayDynamicIndexing = VK_FALSE;
  f->shaderStorageImageArrayDynamicIndexing = VK_FALSE;
}

static VKAPI_ATTR void VKAPI_CALL features(VkPhysicalDevice pd, VkPhysicalDeviceFeatures *f) {
  next_features(pd, f);
  claim(f);
}

static VKAPI_ATTR void VKAPI_CALL features2(VkPhysicalDevice pd, VkPhysicalDeviceFeatures2 *f) {
  next_features2(pd, f);
  claim(&f->features);
}

/* The loader's link info for this layer in a create-info chain (the loader owns these structs). */
static void *link_info(const void *chain, VkStructureType type) {
  for (VkBaseOutStructure *s = (VkBaseOutStructure *)chain; s; s = s->pNext) {
    if (s->sType != type) continue;
    VkLayerInstanceCreateInfo *i = (VkLayerInstanceCreateInfo *)s;
    if (i->function == VK_LAYER_LINK_INFO) return s;
  }
  return NULL;
}

static VKAPI_ATTR VkResult VKAPI_CALL create_instance(const VkInstanceCreateInfo *info, const VkAllocationCallbacks *alloc,
                                                      VkInstance *out) {
  VkLayerInstanceCreateInfo *link = link_info(info->pNext, VK_STRUCTURE_TYPE_LOADER_INSTANCE_CREATE_INFO);
  if (!link) return VK_ERROR_INITIALIZATION_FAILED;
  next_gipa = link->u.pLayerInfo->pfnNextGetInstanceProcAddr;
  link->u.pLayerInfo = link->u.pLayerInfo->pNext;
  PFN_vkCreateInstance create = (PFN_vkCreateInstance)next_gipa(VK_NULL_HANDLE, "vkCreateInstance");
  VkResult r = create(info, alloc, out);
  if (r != VK_SUCCESS) return r;
  next_features = (PFN_vkGetPhysicalDeviceFeatures)next_gipa(*out, "vkGetPhysicalDeviceFeatures");
  next_features2 = (PFN_vkGetPhysicalDeviceFeatures2)next_gipa(*out, "vkGetPhysicalDeviceFeatures2");
  if (!next_features2) next_features2 = (PFN_vkGetPhysicalDeviceFeatures2)next_gipa(*out, "vkGetPhysicalDeviceFeatures2KHR");
  return VK_SUCCESS;
}

static VKAPI_ATTR VkResult VKAPI_CALL create_device(VkPhysicalDevice pd, const VkDeviceCreateInfo *info,
                                                    const VkAllocationCallbacks *alloc, VkDevice *out) {
  VkLayerDeviceCreateInfo *link = link_info(info->pNext, VK_STRUCTURE_TYPE_LOADER_DEVICE_CREATE_INFO);
  if (!link) return VK_ERROR_INITIALIZATION_FAILED;
  PFN_vkGetInstanceProcAddr gipa = link->u.pLayerInfo->pfnNextGetInstanceProcAddr;
  next_gdpa = link->u.pLayerInfo->pfnNextGetDeviceProcAddr;
  link->u.pLayerInfo = link->u.pLayerInfo->pNext;
  /* The features asked for, minus the two the driver lacks: in pEnabledFeatures or a VkPhysicalDeviceFeatures2. */
  VkDeviceCreateInfo copy = *info;
  VkPhysicalDeviceFeatures plain;
  if (info->pEnabledFeatures) {
    plain = *info->pEnabledFeatures;
    drop(&plain);
    copy.pEnabledFeatures = &plain;
  }
  for (VkBaseOutStructure *s = (VkBaseOutStructure *)info->pNext; s; s = s->pNext)
    if (s->sType == VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FEATURES_2) drop(&((VkPhysicalDeviceFeatures2 *)s)->features);
  PFN_vkCreateDevice create = (PFN_vkCreateDevice)gipa(VK_NULL_HANDLE, "vkCreateDevice");
  return create(pd, &copy, alloc, out);
}

EXPORT VKAPI_ATTR PFN_vkVoidFunction VKAPI_CALL vkGetDeviceProcAddr(VkDevice device, const char *name) {
  if (!strcmp(name, "vkGetDeviceProcAddr")) return (PFN_vkVoidFunction)vkGetDeviceProcAddr;
  return next_gdpa(device, name);
}

EXPORT VKAPI_ATTR PFN_vkVoidFunction VKAPI_CALL vkGetInstanceProcAddr(VkInstance instance, const char *name) {
  if (!strcmp(name, "vkGetInstanceProcAddr")) return (PFN_vkVoidFunction)vkGetInstanceProcAddr;
  if (!strcmp(name, "vkCreateInstance")) return (PFN_vkVoidFunction)create_instance;
  if (!strcmp(name, "vkCreateDevice")) return (PFN_vkVoidFunction)create_device;
  if (!strcmp(name, "vkGetDeviceProcAddr")) return (PFN_vkVoidFunction)vkGetDeviceProcAddr;
  if (!strcmp(name, "vkGetPhysicalDeviceFeatures")) return (PFN_vkVoidFunction)features;
  if (!strcmp(name, "vkGetPhysicalDeviceFeatures2") || !strcmp(name, "vkGetPhysicalDeviceFeatures2KHR"))
    return (PFN_vkVoidFunction)features2;
  return next_gipa ? next_gipa(instance, name) : NULL;
}

EXPORT VKAPI_ATTR VkResult VKAPI_CALL vkNegotiateLoaderLayerInterfaceVersion(VkNegotiateLayerInterface *v) {
  if (v->loaderLayerInterfaceVersion > 2) v->loaderLayerInterfaceVersion = 2;
  v->pfnGetInstanceProcAddr = vkGetInstanceProcAddr;
  v->pfnGetDeviceProcAddr = vkGetDeviceProcAddr;
  v->pfnGetPhysicalDeviceProcAddr = NULL;
  return VK_SUCCESS;
}
