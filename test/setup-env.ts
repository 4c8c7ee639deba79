// No Google client may probe the metadata server (169.254.169.254) from a test.
process.env.METADATA_SERVER_DETECTION = 'none';
process.env.AWS_REGION ??= 'us-east-1';
