#include "util.h"

#include <string.h>

void throw_errno(JNIEnv *env, const char *operation, int err)
{
    jclass cls = (*env)->FindClass(env, "re6st/jni/ErrnoException");
    if (cls == NULL)
        return; /* NoClassDefFoundError pending */
    jmethodID ctor = (*env)->GetMethodID(env, cls, "<init>", "(Ljava/lang/String;ILjava/lang/String;)V");
    if (ctor == NULL)
        return;
    char text[256];
    const char *msg = strerror_r(err, text, sizeof text); /* GNU variant returns the string */
    jstring jop = (*env)->NewStringUTF(env, operation);
    jstring jmsg = (*env)->NewStringUTF(env, msg);
    if (jop == NULL || jmsg == NULL)
        return;
    jobject ex = (*env)->NewObject(env, cls, ctor, jop, (jint)err, jmsg);
    if (ex != NULL)
        (*env)->Throw(env, (jthrowable)ex);
}

void throw_illegal(JNIEnv *env, const char *message)
{
    jclass cls = (*env)->FindClass(env, "java/lang/IllegalArgumentException");
    if (cls != NULL)
        (*env)->ThrowNew(env, cls, message);
}

char *buffer_region(JNIEnv *env, jobject buffer, jint offset, jint length)
{
    if (buffer == NULL) {
        throw_illegal(env, "buffer is null");
        return NULL;
    }
    char *base = (*env)->GetDirectBufferAddress(env, buffer);
    if (base == NULL) {
        throw_illegal(env, "buffer is not a direct ByteBuffer");
        return NULL;
    }
    jlong capacity = (*env)->GetDirectBufferCapacity(env, buffer);
    if (offset < 0 || length < 0 || (jlong)offset + length > capacity) {
        throw_illegal(env, "offset/length outside the buffer");
        return NULL;
    }
    return base + offset;
}
