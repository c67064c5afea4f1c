variable "region" {
  description = "AWS region of the stack."
  type        = string
  default     = "us-east-1"
}

variable "lambda_zip_path" {
  description = "Deployment zip from `cargo lambda build --release --arm64 --output-format zip`, relative to this directory by default."
  type        = string
  default     = "../../../target/lambda/bootstrap/bootstrap.zip"
}

variable "create_bucket" {
  description = "Create the design bucket (true) or use an existing one (false)."
  type        = bool
  default     = true
}

variable "bucket_name" {
  description = "Design bucket name (globally unique)."
  type        = string
}

variable "neo4j_secret_arn" {
  description = "Secrets Manager ARN of the Neo4j Aura connection secret."
  type        = string
}

variable "cloudinary_secret_arn" {
  description = "Secrets Manager ARN of the Cloudinary credentials secret."
  type        = string
}

variable "secrets_kms_key_arn" {
  description = "Customer-managed KMS key of the secrets, or null for aws/secretsmanager."
  type        = string
  default     = null
}

variable "image_folder" {
  description = "Cloudinary folder for the images."
  type        = string
  default     = "ork-designs"
}

variable "log_level" {
  description = "RUST_LOG filter."
  type        = string
  default     = "info"
}

variable "reserved_concurrency" {
  description = "Reserved concurrent executions; -1 for none."
  type        = number
  default     = 5
}

variable "alarm_topic_arn" {
  description = "Existing SNS topic for the alarms, or null to create one (<name>-alarms)."
  type        = string
  default     = null
}

variable "alarm_email" {
  description = "E-mail address subscribed to the alarm topic, or null for none."
  type        = string
  default     = null
}
