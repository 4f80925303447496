#ifndef TALENT_CPNG_SHIM_H
#define TALENT_CPNG_SHIM_H
// libpng's classic API reports errors with longjmp, which must never cross Swift frames. This shim
// uses only the simplified API (png_image_*), whose errors come back in `image.message`.
#include <png.h>
#include <stdlib.h>
#include <string.h>

/// Outcome of `talent_png_decode`.
typedef struct {
    int status;            ///< 0 decoded cleanly, 1 decoded with warnings, 2 error, 3 dimensions exceeded
    unsigned int width;
    unsigned int height;
    char message[64];      ///< libpng's message for a warning or error
} talent_png_result;

/// Decodes a whole PNG held in memory (to RGBA, 8 bits per channel) and reports warnings and errors.
/// Checks `width * height <= max_pixels` before allocating the output buffer.
static inline talent_png_result talent_png_decode(const void *data, size_t size, unsigned long long max_pixels) {
    talent_png_result result;
    memset(&result, 0, sizeof result);
    png_image image;
    memset(&image, 0, sizeof image);
    image.version = PNG_IMAGE_VERSION;
    if (!png_image_begin_read_from_memory(&image, data, size)) {
        result.status = 2;
        strncpy(result.message, image.message, sizeof result.message - 1);
        png_image_free(&image);
        return result;
    }
    result.width = image.width;
    result.height = image.height;
    if ((unsigned long long)image.width * (unsigned long long)image.height > max_pixels) {
        result.status = 3;
        png_image_free(&image);
        return result;
    }
    image.format = PNG_FORMAT_RGBA;
    size_t stride = PNG_IMAGE_ROW_STRIDE(image);
    size_t bytes = PNG_IMAGE_BUFFER_SIZE(image, stride);
    void *buffer = malloc(bytes ? bytes : 1);
    if (buffer == NULL) {
        result.status = 2;
        strncpy(result.message, "out of memory", sizeof result.message - 1);
        png_image_free(&image);
        return result;
    }
    int ok = png_image_finish_read(&image, NULL, buffer, (png_int_32)stride, NULL);
    free(buffer);
    if (!ok) {
        result.status = 2;
    } else if (image.warning_or_error & PNG_IMAGE_WARNING) {
        result.status = 1;
    }
    if (result.status != 0) {
        strncpy(result.message, image.message, sizeof result.message - 1);
    }
    png_image_free(&image);
    return result;
}
#endif
