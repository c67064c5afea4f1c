output "function_arn" {
  value = module.ork_processor.function_arn
}

output "function_name" {
  value = module.ork_processor.function_name
}

output "bucket_name" {
  value = module.ork_processor.bucket_name
}

output "failure_queue_url" {
  value = module.ork_processor.failure_queue_url
}

output "operator_policy_arn" {
  value = module.ork_processor.operator_policy_arn
}

output "batch_role_arn" {
  value = module.ork_processor.batch_role_arn
}

output "batch_manifest_location" {
  value = module.ork_processor.batch_manifest_location
}

output "batch_report_location" {
  value = module.ork_processor.batch_report_location
}

output "alarm_topic_arn" {
  value = module.ork_processor.alarm_topic_arn
}

output "dashboard_name" {
  value = module.ork_processor.dashboard_name
}

output "dashboard_url" {
  value = module.ork_processor.dashboard_url
}
