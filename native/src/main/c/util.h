/* Shared helpers for the re6st JNI library. */
#ifndef RE6ST_UTIL_H
#define RE6ST_UTIL_H

#include <jni.h>

/* Throws re6st.jni.ErrnoException(operation, errno, strerror(errno)). */
void throw_errno(JNIEnv *env, const char *operation, int err);

/* Throws java.lang.IllegalArgumentException with the message. */
void throw_illegal(JNIEnv *env, const char *message);

/* Address of a direct buffer region [offset, offset+length), or NULL after throwing. */
char *buffer_region(JNIEnv *env, jobject buffer, jint offset, jint length);

#endif
