// No Google client may probe the metadata server (169.254.169.254) from a test.
process.env.METADATA_SERVER_DETECTION = 'none';
process.env.AWS_REGION ??= 'us-east-1';
// The pinned AWS SDK runs on Node 20; its notice that later releases need Node 22 is noise here (as in bin/mlspec.js).
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
