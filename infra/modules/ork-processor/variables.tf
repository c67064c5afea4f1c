variable "name" {
  description = "Name of the function; also the prefix of the role, queue, log group and policies."
  type        = string
  default     = "ork-processor"

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{1,50}$", var.name))
    error_message = "name: 1-50 letters, digits, hyphens or underscores."
  }
}

variable "lambda_zip_path" {
  description = "Path of the deployment zip made by `cargo lambda build --release --arm64 --output-format zip` (target/lambda/bootstrap/bootstrap.zip)."
  type        = string
}

variable "create_bucket" {
  description = "true: create the design bucket. false: use the existing bucket `bucket_name` (its S3 notification configuration is then owned by this module: aws_s3_bucket_notification replaces any other notifications on that bucket)."
  type        = bool
  default     = true
}

variable "bucket_name" {
  description = "Name of the design bucket (created or existing, see create_bucket)."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.bucket_name))
    error_message = "bucket_name must be a valid S3 bucket name (3-63 lowercase letters, digits, dots, hyphens)."
  }
}

variable "upload_prefix" {
  description = "Key prefix of the uploaded designs, with its trailing slash. The function may read only keys under it."
  type        = string
  default     = "uploads/"

  validation {
    condition     = can(regex("^[^*?]+/$", var.upload_prefix))
    error_message = "upload_prefix must end with a slash and contain no wildcard."
  }
}

variable "batch_bucket_name" {
  description = "Bucket of the S3 Batch Operations manifests and completion reports (ork reprocess --create-job); empty: the design bucket."
  type        = string
  default     = ""
}

variable "batch_manifest_prefix" {
  description = "Key prefix of the S3 Batch Operations manifests, with its trailing slash: the batch role may read only these."
  type        = string
  default     = "batch/manifests/"

  validation {
    condition     = can(regex("^[^*?]+/$", var.batch_manifest_prefix))
    error_message = "batch_manifest_prefix must end with a slash and contain no wildcard."
  }
}

variable "batch_report_prefix" {
  description = "Key prefix of the S3 Batch Operations completion reports, with its trailing slash: the batch role may write only there."
  type        = string
  default     = "batch/reports/"

  validation {
    condition     = can(regex("^[^*?]+/$", var.batch_report_prefix))
    error_message = "batch_report_prefix must end with a slash and contain no wildcard."
  }
}

variable "upload_suffix" {
  description = "Key suffix of the uploaded designs."
  type        = string
  default     = ".ork"
}

variable "neo4j_secret_arn" {
  description = "ARN of the Secrets Manager secret with the Neo4j Aura connection (ORK_NEO4J_SECRET_ARN)."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:[0-9]{12}:secret:.+$", var.neo4j_secret_arn))
    error_message = "neo4j_secret_arn must be a Secrets Manager secret ARN."
  }
}

variable "cloudinary_secret_arn" {
  description = "ARN of the Secrets Manager secret with the Cloudinary credentials (ORK_CLOUDINARY_SECRET_ARN)."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:[0-9]{12}:secret:.+$", var.cloudinary_secret_arn))
    error_message = "cloudinary_secret_arn must be a Secrets Manager secret ARN."
  }
}

variable "secrets_kms_key_arn" {
  description = "ARN of the customer-managed KMS key encrypting the two secrets; null when they use aws/secretsmanager."
  type        = string
  default     = null
}

variable "image_folder" {
  description = "Cloudinary folder for the images (ORK_IMAGE_FOLDER)."
  type        = string
  default     = "ork-designs"
}

variable "log_level" {
  description = "RUST_LOG filter."
  type        = string
  default     = "info"
}

variable "max_object_bytes" {
  description = "Largest object the function reads (ORK_MAX_OBJECT_BYTES)."
  type        = number
  default     = 67108864

  validation {
    condition     = var.max_object_bytes >= 1
    error_message = "max_object_bytes must be positive."
  }
}

variable "reserved_concurrency" {
  description = "Reserved concurrent executions (caps parallel writers to Neo4j); -1 for none. Reserving needs 100 unreserved executions left in the account."
  type        = number
  default     = 5

  validation {
    condition     = var.reserved_concurrency >= -1
    error_message = "reserved_concurrency must be -1 (none), 0 (disabled) or a positive number."
  }
}

variable "timeout" {
  description = "Function timeout, seconds (1-900). The duration alarm fires when p95 exceeds 80 % of it."
  type        = number
  default     = 60

  validation {
    condition     = var.timeout >= 1 && var.timeout <= 900 && floor(var.timeout) == var.timeout
    error_message = "timeout must be a whole number of seconds from 1 to 900."
  }
}

variable "memory_size" {
  description = "Function memory, MB."
  type        = number
  default     = 1024
}

variable "log_retention_days" {
  description = "Retention of the function's log group, days."
  type        = number
  default     = 30
}

variable "maximum_retry_attempts" {
  description = "Retries of a failed asynchronous (S3) invocation before it goes to the failure queue (0-2)."
  type        = number
  default     = 2

  validation {
    condition     = var.maximum_retry_attempts >= 0 && var.maximum_retry_attempts <= 2
    error_message = "maximum_retry_attempts must be 0, 1 or 2."
  }
}

variable "maximum_event_age_in_seconds" {
  description = "Oldest event still retried (60-21600 s)."
  type        = number
  default     = 21600
}

variable "recursive_loop" {
  description = "Lambda recursive loop detection: Terminate (stop loops) or Allow."
  type        = string
  default     = "Terminate"

  validation {
    condition     = contains(["Terminate", "Allow"], var.recursive_loop)
    error_message = "recursive_loop must be Terminate or Allow."
  }
}

variable "tags" {
  description = "Tags for every resource the module creates."
  type        = map(string)
  default     = {}
}

variable "alarm_topic_arn" {
  description = "Existing SNS topic for the alarm notifications (alarm and OK). null or empty: the module creates the topic <name>-alarms."
  type        = string
  default     = null

  validation {
    condition     = var.alarm_topic_arn == null || can(regex("^$|^arn:aws[a-z-]*:sns:[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_-]{1,256}$", var.alarm_topic_arn))
    error_message = "alarm_topic_arn must be null, empty or the ARN of a standard SNS topic."
  }
}

variable "alarm_email" {
  description = "E-mail address subscribed to the alarm topic (it must confirm the subscription); null or empty for none."
  type        = string
  default     = null

  validation {
    condition     = var.alarm_email == null || can(regex("^$|^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", var.alarm_email))
    error_message = "alarm_email must be null, empty or one e-mail address."
  }
}
