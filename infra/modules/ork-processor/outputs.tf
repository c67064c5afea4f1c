output "function_arn" {
  description = "ARN of the ork-processor function."
  value       = aws_lambda_function.this.arn
}

output "function_name" {
  description = "Name of the ork-processor function."
  value       = aws_lambda_function.this.function_name
}

output "role_arn" {
  description = "ARN of the function's execution role."
  value       = aws_iam_role.function.arn
}

output "bucket_name" {
  description = "Design bucket (upload .ork files under upload_prefix)."
  value       = local.bucket_id
}

output "failure_queue_url" {
  description = "SQS queue receiving the events that failed after the retries."
  value       = aws_sqs_queue.failures.url
}

output "failure_queue_arn" {
  description = "ARN of the failure queue."
  value       = aws_sqs_queue.failures.arn
}

output "log_group_name" {
  description = "Log group of the function."
  value       = aws_cloudwatch_log_group.function.name
}

output "operator_policy_arn" {
  description = "Managed policy to attach to the operator who reprocesses designs."
  value       = aws_iam_policy.operator.arn
}

output "batch_role_arn" {
  description = "Role S3 Batch Operations assumes (ork reprocess --create-job --role-arn)."
  value       = aws_iam_role.batch.arn
}

output "batch_manifest_location" {
  description = "Where manifests go (ork reprocess --manifest-out <this><name>.csv)."
  value       = "s3://${local.batch_bucket}/${var.batch_manifest_prefix}"
}

output "batch_report_location" {
  description = "Where completion reports go (ork reprocess --create-job --report <this>)."
  value       = "s3://${local.batch_bucket}/${var.batch_report_prefix}"
}

output "alarm_topic_arn" {
  description = "SNS topic the alarms notify (created here, or var.alarm_topic_arn)."
  value       = local.alarm_topic_arn
}

output "dashboard_name" {
  description = "CloudWatch dashboard of the function."
  value       = aws_cloudwatch_dashboard.this.dashboard_name
}

output "dashboard_url" {
  description = "Console URL of the dashboard."
  value       = "https://${local.region}.console.aws.amazon.com/cloudwatch/home?region=${local.region}#dashboards:name=${aws_cloudwatch_dashboard.this.dashboard_name}"
}
