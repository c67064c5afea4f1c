provider "aws" {
  region = var.region

  default_tags {
    tags = {
      project     = "ork-processor"
      environment = "prod"
      managed-by  = "terraform"
    }
  }
}

module "ork_processor" {
  source = "../../modules/ork-processor"

  name            = "ork-processor-prod"
  lambda_zip_path = var.lambda_zip_path

  create_bucket = var.create_bucket
  bucket_name   = var.bucket_name
  upload_prefix = "uploads/"

  neo4j_secret_arn      = var.neo4j_secret_arn
  cloudinary_secret_arn = var.cloudinary_secret_arn
  secrets_kms_key_arn   = var.secrets_kms_key_arn

  image_folder         = var.image_folder
  log_level            = var.log_level
  reserved_concurrency = var.reserved_concurrency
  timeout              = 60
  memory_size          = 1024
  log_retention_days   = 30

  # Alarms notify a topic the module creates, unless an existing one is given.
  alarm_topic_arn = var.alarm_topic_arn
  alarm_email     = var.alarm_email
}
