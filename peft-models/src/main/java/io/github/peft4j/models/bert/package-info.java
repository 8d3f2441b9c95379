/**
 * BERT with transformers' module paths: sequence classification and the masked/causal LM heads.
 */
package io.github.peft4j.models.bert;
