# ork-processor: the Lambda that processes .ork designs uploaded under `upload_prefix` in the
# design bucket, with its least-privilege role, failure queue, log group, S3 notification, an
# operator policy for reprocessing and the role S3 Batch Operations jobs assume. Same resources
# as template.yaml (SAM) at the repo root.

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}
data "aws_region" "current" {}

locals {
  partition  = data.aws_partition.current.partition
  account_id = data.aws_caller_identity.current.account_id
  region     = data.aws_region.current.region

  # The bucket's id/ARN are built from the name (not from the bucket resource) so the
  # role policy does not depend on the bucket; the notification does, when it is created here.
  bucket_id   = var.create_bucket ? aws_s3_bucket.designs[0].id : var.bucket_name
  bucket_arn  = "arn:${local.partition}:s3:::${var.bucket_name}"
  uploads_arn = "${local.bucket_arn}/${var.upload_prefix}*"

  log_group_name = "/aws/lambda/${var.name}"

  # S3 Batch Operations: manifests and completion reports (in the design bucket by default).
  batch_bucket       = var.batch_bucket_name == "" ? var.bucket_name : var.batch_bucket_name
  batch_bucket_arn   = "arn:${local.partition}:s3:::${local.batch_bucket}"
  batch_manifest_arn = "${local.batch_bucket_arn}/${var.batch_manifest_prefix}*"
  batch_report_arn   = "${local.batch_bucket_arn}/${var.batch_report_prefix}*"
}

# --- design bucket (optional) ---------------------------------------------------------------

resource "aws_s3_bucket" "designs" {
  count  = var.create_bucket ? 1 : 0
  bucket = var.bucket_name
  tags   = var.tags

  lifecycle {
    prevent_destroy = true
  }
}

resource "aws_s3_bucket_versioning" "designs" {
  count  = var.create_bucket ? 1 : 0
  bucket = aws_s3_bucket.designs[0].id

  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "designs" {
  count  = var.create_bucket ? 1 : 0
  bucket = aws_s3_bucket.designs[0].id

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256"
    }
  }
}

resource "aws_s3_bucket_public_access_block" "designs" {
  count  = var.create_bucket ? 1 : 0
  bucket = aws_s3_bucket.designs[0].id

  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_ownership_controls" "designs" {
  count  = var.create_bucket ? 1 : 0
  bucket = aws_s3_bucket.designs[0].id

  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "designs" {
  count  = var.create_bucket ? 1 : 0
  bucket = aws_s3_bucket.designs[0].id

  rule {
    id     = "expire-old-versions"
    status = "Enabled"

    filter {}

    noncurrent_version_expiration {
      noncurrent_days = 90
    }

    abort_incomplete_multipart_upload {
      days_after_initiation = 7
    }
  }

  depends_on = [aws_s3_bucket_versioning.designs]
}

data "aws_iam_policy_document" "bucket" {
  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = ["s3:*"]
    resources = [local.bucket_arn, "${local.bucket_arn}/*"]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}

resource "aws_s3_bucket_policy" "designs" {
  count  = var.create_bucket ? 1 : 0
  bucket = aws_s3_bucket.designs[0].id
  policy = data.aws_iam_policy_document.bucket.json

  depends_on = [aws_s3_bucket_public_access_block.designs]
}

# --- failure queue and logs -----------------------------------------------------------------

resource "aws_sqs_queue" "failures" {
  name                      = "${var.name}-failures"
  message_retention_seconds = 1209600 # 14 days, the maximum
  sqs_managed_sse_enabled   = true
  tags                      = var.tags
}

resource "aws_cloudwatch_log_group" "function" {
  name              = local.log_group_name
  retention_in_days = var.log_retention_days
  tags              = var.tags
}

# --- the function's role: nothing beyond what the handler does -------------------------------

data "aws_iam_policy_document" "assume" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }
}

resource "aws_iam_role" "function" {
  name               = "${var.name}-function"
  assume_role_policy = data.aws_iam_policy_document.assume.json
  tags               = var.tags
}

data "aws_iam_policy_document" "function" {
  statement {
    sid       = "Logs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.function.arn}:*"]
  }

  # HeadObject is authorised by s3:GetObject (there is no s3:HeadObject action).
  statement {
    sid       = "ReadUploads"
    actions   = ["s3:GetObject", "s3:GetObjectVersion"]
    resources = [local.uploads_arn]
  }

  statement {
    sid       = "ListUploads"
    actions   = ["s3:ListBucket"]
    resources = [local.bucket_arn]

    condition {
      test     = "StringLike"
      variable = "s3:prefix"
      values   = [var.upload_prefix, "${var.upload_prefix}*"]
    }
  }

  statement {
    sid       = "ReadSecrets"
    actions   = ["secretsmanager:GetSecretValue"]
    resources = [var.neo4j_secret_arn, var.cloudinary_secret_arn]
  }

  statement {
    sid       = "SendFailures"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.failures.arn]
  }

  dynamic "statement" {
    for_each = var.secrets_kms_key_arn == null ? [] : [var.secrets_kms_key_arn]
    content {
      sid       = "DecryptSecrets"
      actions   = ["kms:Decrypt"]
      resources = [statement.value]

      condition {
        test     = "StringEquals"
        variable = "kms:ViaService"
        values   = ["secretsmanager.${local.region}.amazonaws.com"]
      }
    }
  }
}

resource "aws_iam_role_policy" "function" {
  name   = var.name
  role   = aws_iam_role.function.id
  policy = data.aws_iam_policy_document.function.json
}

# --- the function -----------------------------------------------------------------------------

resource "aws_lambda_function" "this" {
  function_name    = var.name
  description      = "Processes .ork designs uploaded to ${var.bucket_name}/${var.upload_prefix}"
  role             = aws_iam_role.function.arn
  filename         = var.lambda_zip_path
  source_code_hash = filebase64sha256(var.lambda_zip_path)
  handler          = "bootstrap"
  runtime          = "provided.al2023"
  architectures    = ["arm64"]
  timeout          = var.timeout
  memory_size      = var.memory_size

  # -1 (the provider's default) leaves the function in the unreserved pool.
  reserved_concurrent_executions = var.reserved_concurrency

  environment {
    variables = {
      ORK_NEO4J_SECRET_ARN      = var.neo4j_secret_arn
      ORK_CLOUDINARY_SECRET_ARN = var.cloudinary_secret_arn
      ORK_IMAGE_FOLDER          = var.image_folder
      ORK_MAX_OBJECT_BYTES      = tostring(var.max_object_bytes)
      RUST_LOG                  = var.log_level
    }
  }

  logging_config {
    log_format = "Text"
    log_group  = aws_cloudwatch_log_group.function.name
  }

  tags = var.tags

  depends_on = [aws_iam_role_policy.function]
}

resource "aws_lambda_function_recursion_config" "this" {
  function_name  = aws_lambda_function.this.function_name
  recursive_loop = var.recursive_loop
}

resource "aws_lambda_function_event_invoke_config" "this" {
  function_name                = aws_lambda_function.this.function_name
  maximum_retry_attempts       = var.maximum_retry_attempts
  maximum_event_age_in_seconds = var.maximum_event_age_in_seconds

  destination_config {
    on_failure {
      destination = aws_sqs_queue.failures.arn
    }
  }
}

# --- S3 -> function ---------------------------------------------------------------------------

resource "aws_lambda_permission" "s3" {
  statement_id   = "AllowInvokeFromDesignBucket"
  action         = "lambda:InvokeFunction"
  function_name  = aws_lambda_function.this.function_name
  principal      = "s3.amazonaws.com"
  source_arn     = local.bucket_arn
  source_account = local.account_id
}

resource "aws_s3_bucket_notification" "designs" {
  bucket = local.bucket_id

  lambda_function {
    lambda_function_arn = aws_lambda_function.this.arn
    events              = ["s3:ObjectCreated:*", "s3:ObjectRemoved:*"]
    filter_prefix       = var.upload_prefix
    filter_suffix       = var.upload_suffix
  }

  depends_on = [aws_lambda_permission.s3]
}

# --- operator: reprocessing = invoking the function; the function itself cannot ----------------

data "aws_iam_policy_document" "operator" {
  statement {
    sid       = "InvokeOrkProcessor"
    actions   = ["lambda:InvokeFunction"]
    resources = [aws_lambda_function.this.arn]
  }

  statement {
    sid       = "ListUploads"
    actions   = ["s3:ListBucket"]
    resources = [local.bucket_arn]

    condition {
      test     = "StringLike"
      variable = "s3:prefix"
      values   = [var.upload_prefix, "${var.upload_prefix}*"]
    }
  }

  # ork reprocess --from-queue: read the on-failure records, delete the ones redone, make the
  # others visible again.
  statement {
    sid = "RedriveFailureQueue"
    actions = [
      "sqs:ReceiveMessage",
      "sqs:DeleteMessage",
      "sqs:ChangeMessageVisibility",
      "sqs:GetQueueAttributes",
    ]
    resources = [aws_sqs_queue.failures.arn]
  }

  # ork reprocess --manifest-out s3://… --manifest-versions --create-job
  statement {
    sid       = "ListUploadVersions"
    actions   = ["s3:ListBucketVersions"]
    resources = [local.bucket_arn]

    condition {
      test     = "StringLike"
      variable = "s3:prefix"
      values   = [var.upload_prefix, "${var.upload_prefix}*"]
    }
  }

  statement {
    sid       = "WriteManifests"
    actions   = ["s3:PutObject", "s3:GetObject"]
    resources = [local.batch_manifest_arn]
  }

  statement {
    sid       = "ReadReports"
    actions   = ["s3:GetObject"]
    resources = [local.batch_report_arn]
  }

  statement {
    sid       = "RunBatchJobs"
    actions   = ["s3:CreateJob", "s3:DescribeJob", "s3:ListJobs", "s3:UpdateJobStatus"]
    resources = ["*"]
  }

  statement {
    sid       = "PassBatchRole"
    actions   = ["iam:PassRole"]
    resources = [aws_iam_role.batch.arn]
  }
}

# --- S3 Batch Operations: the role a bucket-wide reprocess job assumes -------------------------

data "aws_iam_policy_document" "batch_assume" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["batchoperations.s3.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }
}

resource "aws_iam_role" "batch" {
  name               = "${var.name}-batch-operations"
  description        = "Assumed by S3 Batch Operations jobs that run ${var.name} over a manifest (ork reprocess --create-job)."
  assume_role_policy = data.aws_iam_policy_document.batch_assume.json
  tags               = var.tags
}

data "aws_iam_policy_document" "batch" {
  statement {
    sid       = "InvokeOrkProcessor"
    actions   = ["lambda:InvokeFunction"]
    resources = [aws_lambda_function.this.arn, "${aws_lambda_function.this.arn}:*"]
  }

  statement {
    sid       = "ReadManifests"
    actions   = ["s3:GetObject", "s3:GetObjectVersion"]
    resources = [local.batch_manifest_arn]
  }

  statement {
    sid       = "WriteReports"
    actions   = ["s3:PutObject"]
    resources = [local.batch_report_arn]
  }

  statement {
    sid       = "LocateBatchBucket"
    actions   = ["s3:GetBucketLocation"]
    resources = [local.batch_bucket_arn]
  }
}

resource "aws_iam_role_policy" "batch" {
  name   = "${var.name}-batch-operations"
  role   = aws_iam_role.batch.id
  policy = data.aws_iam_policy_document.batch.json
}

resource "aws_iam_policy" "operator" {
  name        = "${var.name}-operator"
  description = "Lets an operator invoke ${var.name} to reprocess designs (attach to their user or role)."
  policy      = data.aws_iam_policy_document.operator.json
  tags        = var.tags
}
